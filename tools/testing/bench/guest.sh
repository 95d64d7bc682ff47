#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Inside the test VM, as root (started by run): every benchmark of vfio_bench on our stack
# and on the stock one in the same boot, in interleaved rounds (ours then stock, stock then
# ours, ...), so that a slow spell of the shared machine hits both sides alike. Each stack
# is loaded afresh for its turn: vfio_iommu_type1, Debian's vfio-pci (edu bound to it),
# mdev, the vGPU sample and the kernel's mbochs sample (the same binaries on both stacks).
# Prints "BENCH <stack> <round> <metric> <value> <unit> <hi|lo>" lines and "#" notes.
# Env: BENCH_ROUNDS (default 5), BENCH_QUICK=1 (small sizes, for development),
# BENCH_ONLY="name ..." (a subset of the names in benches()), BENCH_SKIP="stack:round ..."
# (turns done in an earlier boot, which a wedged VM cut short).
set -u
here=$(cd "$(dirname "$0")" && pwd)
bench=$here/vfio_bench
# shellcheck source=SCRIPTDIR/../selftests/vfio/stack.sh
. "$here/../selftests/vfio/stack.sh"

rounds=${BENCH_ROUNDS:-5}
mdev_cycles=500 mdev1_cycles=200
if [ -n "${BENCH_QUICK:-}" ]; then
	n=2000 chunk=1 copies=4 pins=2000 pin_mib=8 phys_mib=64 live=(1 10 50) mdev_cycles=10
	mdev1_cycles=10
else
	n=20000 chunk=32 copies=32 pins=100000 pin_mib=64 phys_mib=1024 live=(1 100 1000)
fi

# name and vfio_bench arguments, one benchmark a line. The quick ones run several times a
# round, spread over the whole turn: the machine's slow spells last from a fraction of a
# second to minutes, and samples taken at one moment would all fall into the same one. Of
# mmio and create+remove with one live mdev (a second or less), a sample follows each of
# the others; QEMU starts at the beginning, the middle and the end.
benches() {
	local quick=("mmio mmio $n" "mdev${live[0]} mdev ${live[0]} $mdev1_cycles")
	local b slow=(
		"qemu qemu"
		"map4k map4k $n"
		"dirty-nopin dirty $chunk $copies 0"
		"map4k map4k $n"
		"dirty-pin dirty $chunk $copies $pins"
		"map4k map4k $n"
		"pin-4k pin 4k $pin_mib"
		"pin-thp pin thp $pin_mib"
		"qemu qemu"
		"map4k map4k $n"
	)
	for l in "${live[@]:1}"; do slow+=("mdev$l mdev $l $mdev_cycles"); done
	slow+=("phys-4k phys 4k $phys_mib" "map4k map4k $n" "phys-thp phys thp $phys_mib"
	       "qemu qemu")
	for b in "${slow[@]}"; do
		echo "$b"
		printf '%s\n' "${quick[@]}"
	done
}

unload_all() {
	modprobe -r mbochs vgpu 2>/dev/null
	unload_stack
}

load_all() {
	local root=()
	[ "$1" = stock ] && root=(-d "$VM_STOCK_MODROOT")
	load_stack "$1" && modprobe "${root[@]}" mdev && modprobe "${root[@]}" vgpu &&
		modprobe "${root[@]}" mbochs count=4200 || return 1
	local base=()
	[ "$1" = stock ] && base=(-b "$VM_STOCK_MODROOT")
	echo "# $1: $(modinfo "${base[@]}" -F filename vfio_iommu_type1 mdev | xargs)"
	bind_edu
}

run_one() {
	local stack=$1 round=$2 name=$3 rc
	shift 3
	# every benchmark takes well under a minute; one that hangs is stopped and says so
	timeout -k 5 600 "$bench" "$@" < /dev/null > /tmp/bench.out 2>&1
	rc=$?
	sed -n "s/^result /BENCH $stack $round /p" /tmp/bench.out
	grep -v '^result ' /tmp/bench.out | sed "s/^/# $stack $round $name: /"
	case $rc in
	0|4) ;;
	124) echo "# $stack $round $name: FAILED (hung: stopped after 600 s)" ;;
	*) echo "# $stack $round $name: FAILED (exit $rc)" ;;
	esac
}

modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
echo "# THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled); /dev/kvm: $([ -w /dev/kvm ] && echo yes || echo no)"
echo "# rounds $rounds${BENCH_QUICK:+ (quick sizes)}; $(nproc) CPUs, $(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)"
for r in $(seq "$rounds"); do
	# the order flips every round: whichever goes first or second in a round gets no
	# systematic edge (in one boot, identical modules measured up to 1.5x apart by slot)
	order="ours stock"
	[ $((r % 2)) -eq 0 ] && order="stock ours"
	for stack in $order; do
		[[ " ${BENCH_SKIP:-} " == *" $stack:$r "* ]] && continue
		unload_all
		if ! load_all "$stack"; then
			echo "# $stack $r: cannot load the stack"
			exit 1
		fi
		start=$(date +%s)
		while read -r name args; do
			[ -n "${BENCH_ONLY:-}" ] && [[ " $BENCH_ONLY " != *" $name "* ]] && continue
			# shellcheck disable=SC2086 # args is a word list
			run_one "$stack" "$r" "$name" $args
		done < <(benches)
		echo "# $stack $r: round took $(($(date +%s) - start)) s"
	done
done
unload_all
