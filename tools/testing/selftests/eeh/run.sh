#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The EEH suite, inside the test VM as root: eeh_test on our stack (vfio, vfio_iommu_type1,
# mdev from the tree), then the same binary on the stock stack in the same boot with
# EEH_STACK=stock (test names prefixed "stock: "), where the vGPU has no EEH and every
# answer must be the stock one. mtty (the kernel's sample) is the device without EEH.
# After each run the whole stack must unload: a leaked reference fails it.
# shellcheck source-path=SCRIPTDIR
set -u
cd "$(dirname "$0")" || exit 2

# shellcheck source=../lib/tap.sh
. ../lib/tap.sh

unload() {
	local m
	for m in vgpu mtty vfio_iommu_type1 mdev vfio_virqfd vfio; do
		modprobe -r "$m" 2>/dev/null
	done
	[ ! -d /sys/module/vfio ]
}

load() {	# load stock|ours
	local root=() m
	[ "$1" = stock ] && root=(-d "$VM_STOCK_MODROOT")
	for m in vfio vfio_iommu_type1 mdev mtty vgpu; do
		modprobe "${root[@]}" "$m" || return 1
	done
}

run_stack() {	# run_stack stock|ours PREFIX
	local stack=$1 prefix=$2 rc=0 info
	unload
	load "$stack"
	tap_check $? "${prefix}load vfio, vfio_iommu_type1, mdev, mtty and vgpu" || return 1
	info=()
	[ "$stack" = stock ] && info=(-b "$VM_STOCK_MODROOT")
	echo "# $stack stack: $(modinfo "${info[@]}" -F filename vfio)"
	EEH_STACK=$stack ./eeh_test 2>&1 | sed -u "s/^\(\(not \)\?ok [0-9]* \)/\1$prefix/"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	unload
	tap_check $? "${prefix}nothing leaked: the stack unloads" || rc=1
	return $rc
}

echo "TAP version 13"
rc=0
run_stack ours "" || rc=1
if [ -n "${VM_STOCK_MODROOT:-}" ]; then
	run_stack stock "stock: " || rc=1
else
	echo "ok 1 stock comparison # SKIP no stock module root"
fi
exit $rc
