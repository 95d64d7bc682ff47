#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The vGPU suite, inside the test VM. The same tests run on the stock VFIO/mdev stack and,
# when our modules are built, on ours (one boot, unload one, load the other); the vGPU
# module is the same binary on both. Then the placement policy (homogeneous), the
# single_usage_restriction attribute and out-of-range module parameters.
# "run.sh nested STACK" runs the nested-guest end to end (nested.sh) on STACK (stock or
# ours) instead: the suites vgpu_nested_stock and vgpu_nested_ours, each in a VM of its
# own, because a nested guest under TCG now and then takes its VM down and such a suite
# is run again (tools/testing/check): a VM that dies repeats only one stack's half.
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
n=0 failed=0
# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"

# Renumber the harness's TAP into ours, tagging each test with the stack it ran on
relay() {
	local tag=$1 line status name
	while IFS= read -r line; do
		if [[ $line =~ ^(not\ )?ok\ [0-9]+\ (.*)$ ]]; then
			status=0
			[ -n "${BASH_REMATCH[1]}" ] && status=1
			name=${BASH_REMATCH[2]}
			if [[ $name == *"# SKIP"* ]]; then
				tap 0 "${name%% # SKIP*} [$tag]" "${name#*# SKIP }"
			else
				tap "$status" "$name [$tag]"
			fi
		else
			echo "# $line"
		fi
	done
}

# A kselftest harness program, relayed; then its plan must match its results and its exit
# status be 0, so that a crash or a missing binary fails the suite
run_harness() {	# run_harness TAG PROGRAM
	local tag=$1 prog=$2 out rc plan got
	out=$(mktemp)
	"$prog" > "$out" 2>&1
	rc=$?
	relay "$tag" < "$out"
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$out" | head -n1)
	got=$(grep -cE '^(not )?ok [0-9]+ ' "$out")
	rm -f "$out"
	[ -n "$plan" ] && [ "$plan" = "$got" ] && [ "$rc" -eq 0 ]
	tap $? "$prog: $got results of a plan of ${plan:-none}, exit status $rc [$tag]"
}

stack_unload() {
	rmmod vgpu 2>/dev/null
	modprobe -r vfio_iommu_type1 mdev vfio_virqfd vfio 2>/dev/null
	modprobe -d "$VM_STOCK_MODROOT" -r vfio_iommu_type1 mdev vfio_virqfd vfio 2>/dev/null
	! lsmod | grep -qE '^(vfio|mdev|vgpu) '
}

stack_load() {	# stack_load stock|ours [vgpu params...]
	local root=() m
	[ "$1" = stock ] && root=(-d "$VM_STOCK_MODROOT")
	shift
	for m in vfio vfio_iommu_type1 mdev; do
		modprobe "${root[@]}" "$m" || return 1
	done
	insmod "$TOP/samples/vgpu/vgpu.ko" "$@"
}

type_attr() { cat "/sys/class/mdev_bus/vgpu0/mdev_supported_types/vgpu-$1/$2" 2>/dev/null; }

homogeneous_checks() {	# on the loaded stack, vgpu loaded with homogeneous=1
	local tag=$1 uuid avail
	uuid=$(cat /proc/sys/kernel/random/uuid)
	echo "$uuid" > /sys/class/mdev_bus/vgpu0/mdev_supported_types/vgpu-eighth/create
	avail="$(type_attr eighth available_instances) $(type_attr quarter available_instances)"
	avail="$avail $(type_attr half available_instances) $(type_attr whole available_instances)"
	[ "$avail" = "7 0 0 0" ]
	tap $? "homogeneous: the first instance fixes the profile ($avail) [$tag]"
	! cat /proc/sys/kernel/random/uuid \
		> /sys/class/mdev_bus/vgpu0/mdev_supported_types/vgpu-quarter/create 2>/dev/null
	tap $? "homogeneous: another profile on that GPU is refused [$tag]"
	[ "$(find /sys/bus/mdev/devices -mindepth 1 -maxdepth 1 | wc -l)" = 1 ]
	tap $? "homogeneous: the refused create left no mdev behind [$tag]"
	echo 1 > "/sys/bus/mdev/devices/$uuid/remove"
	avail="$(type_attr eighth available_instances) $(type_attr whole available_instances)"
	[ "$avail" = "8 1" ]
	tap $? "homogeneous: an empty GPU takes any profile again ($avail) [$tag]"
}

usage_checks() {	# single_usage_restriction: ours shows it, stock has no such attribute
	local tag=$1 t want got
	for t in eighth quarter half whole; do
		want=Y
		[ $t = whole ] && want=N
		got=$(type_attr $t single_usage_restriction)
		if [ "$tag" = stock ]; then
			[ -z "$got" ]
			tap $? "no single_usage_restriction on the stock mdev ($t) [$tag]"
		else
			[ "$got" = "$want" ]
			tap $? "single_usage_restriction of $t is $want (got '$got') [$tag]"
		fi
	done
}

run_stack() {
	local tag=$1
	stack_unload
	if ! stack_load "$tag" gpus=2; then
		tap 1 "load the $tag stack and vgpu.ko"
		return
	fi
	tap 0 "load the $tag stack and vgpu.ko"
	run_harness "$tag" ./vgpu_test
	usage_checks "$tag"
	rmmod vgpu
	insmod "$TOP/samples/vgpu/vgpu.ko" homogeneous=1
	homogeneous_checks "$tag"
	rmmod vgpu
	tap $? "vgpu.ko unloads [$tag]"
	param_checks "$tag"
}

param_checks() {	# out-of-range module parameters fail the load, with a log line
	local tag=$1 p
	for p in gpus=0 gpus=9 vram_mb=0 vram_mb=4 vram_mb=96 vram_mb=4096; do
		! insmod "$TOP/samples/vgpu/vgpu.ko" "$p" 2>/dev/null &&
			dmesg | tail -n 3 | grep -q "vgpu: ${p%=*}=${p#*=} "
		tap $? "vgpu.ko refuses $p with a kernel log line [$tag]"
		rmmod vgpu 2>/dev/null
	done
	insmod "$TOP/samples/vgpu/vgpu.ko" gpus=8 vram_mb=8 &&
		[ "$(find /sys/class/mdev_bus -mindepth 1 -maxdepth 1 -name 'vgpu*' | wc -l)" = 8 ] &&
		[ "$(type_attr whole description | grep -o '^VRAM [0-9]* MiB')" = "VRAM 8 MiB" ]
	tap $? "vgpu.ko gpus=8 vram_mb=8: eight parents with 8 MiB GPUs [$tag]"
	rmmod vgpu
}

# The nested end to end on stack $1: the same guest and host-side checks on each stack
run_nested() {
	case $1 in
	stock) ;;
	ours)
		[ -f "$TOP/drivers/vfio/vfio.ko" ] ||
			{ tap 0 "nested end to end [nested ours]" "our vfio.ko is not built"; return; }
		;;
	*) tap 1 "run.sh nested takes stock or ours, not '$1'"; return ;;
	esac
	stack_unload
	relay "nested $1" < <(NESTED_STACK=$1 "$here/nested.sh")
}

echo "TAP version 13"
cd "$here" || exit 1
if [ "${1:-}" = nested ]; then
	run_nested "${2:-}"
	stack_unload
	exit $failed
fi
run_stack stock
if [ -f "$TOP/drivers/vfio/vfio.ko" ] && [ -f "$TOP/drivers/vfio/mdev/mdev.ko" ]; then
	run_stack ours
else
	tap 0 "suite on our stack" "our vfio.ko/mdev.ko not built in this tree"
fi
stack_unload
exit $failed
