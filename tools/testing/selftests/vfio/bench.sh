#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The type1 benchmarks alone, inside the test VM as root (with this suite's vm.conf): each on
# our vfio_iommu_type1, then on the stock one, in the same boot. Prints "result" lines of
# tools/testing/bench/vfio_bench; `make bench` (tools/testing/bench/run) is the full set with
# interleaved rounds and the ratio table.
set -u
cd "$(dirname "$0")" || exit 2
# shellcheck source-path=SCRIPTDIR
. ./stack.sh
bench=../../bench/vfio_bench

args() {
	case $1 in
	map4k) echo "map4k 20000" ;;
	bitmap32g) echo "dirty 32 1 0" ;;
	phys1g-thp) echo "phys thp 1024" ;;
	phys1g-4k) echo "phys 4k 1024" ;;
	*) return 1 ;;
	esac
}

benches=${*:-map4k bitmap32g phys1g-thp phys1g-4k}
for stack in ours stock; do
	root=()
	[ "$stack" = stock ] && root=(-d "$VM_STOCK_MODROOT")
	modprobe -r vgpu 2>/dev/null
	unload_stack
	{ load_stack "$stack" && modprobe "${root[@]}" vgpu; } ||
		{ echo "# cannot load the $stack stack"; exit 1; }
	bind_edu
	for b in $benches; do
		a=$(args "$b") || { echo "# unknown benchmark $b"; exit 2; }
		# shellcheck disable=SC2086 # a is a word list
		"$bench" $a | sed "s/^/# $stack /"
	done
done
modprobe -r vgpu 2>/dev/null
unload_stack
