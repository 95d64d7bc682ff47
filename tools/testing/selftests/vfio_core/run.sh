#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The VFIO core suites, inside the test VM as root: first on the vfio core of our module
# root, then the same binaries on the stock core in the same boot (reported as "stock: ..."
# test names), so every errno is compared with stock's. QEMU's edu device, behind the
# emulated Intel IOMMU, is bound to Debian's prebuilt vfio-pci; mtty gives an mdev.
# After each run the whole stack must unload: a leaked reference fails it.
# shellcheck source-path=SCRIPTDIR
set -u
cd "$(dirname "$0")" || exit 2

# shellcheck source=../vfio/stack.sh
. ../vfio/stack.sh
# shellcheck source=../lib/tap.sh
. ../lib/tap.sh

# The removal tests unbind and rebind edu: they run last
TESTS=(vfio_core_container_test vfio_core_group_test vfio_core_device_test
	vfio_core_thread_test vfio_core_mdev_test)
[ -x virqfd_test ] && TESTS+=(virqfd_test)
TESTS+=(vfio_core_remove_test)

# modinfo over the module root in use: set by run_stack
modroot=()

# Debian's vfio-pci, from the kernel's own tree (not updates/), is loaded: untainted, so
# in-tree and signed
vfio_pci_is_debians() {
	local file
	file=$(modinfo "${modroot[@]}" -F filename vfio_pci) || return 1
	case $file in
	*/updates/*) return 1 ;;
	*/kernel/drivers/vfio/pci/vfio-pci.ko) ;;
	*) return 1 ;;
	esac
	[ -d /sys/module/vfio_pci ] && [ -z "$(cat /sys/module/vfio_pci/taint)" ]
}

edu_on_vfio_pci() {
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] &&
			[ "$(basename "$(readlink "$d/driver")")" = vfio-pci ] && return 0
	done
	return 1
}

stack_unloads() {
	modprobe -r mtty mdev && modprobe -r vfio_pci vfio_iommu_type1 vfio &&
		[ ! -d /sys/module/vfio ]
}

run_stack() {
	local prefix=$1 t rc=0
	modroot=()
	[ "$prefix" ] && modroot=(-b "$VM_STOCK_MODROOT")
	echo "# vfio: $(modinfo "${modroot[@]}" -F filename vfio)"
	vfio_pci_is_debians
	tap_check $? "${prefix}vfio-pci: Debian's module loaded against this vfio" || rc=1
	bind_edu
	edu_on_vfio_pci
	tap_check $? "${prefix}vfio-pci: binds edu" || rc=1
	for t in "${TESTS[@]}"; do
		VFIO_CORE_STACK=${prefix:+stock} "./$t" 2>&1 |
			sed -u "s/^\(\(not \)\?ok [0-9]* \)/\1$prefix/"
		[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	done
	stack_unloads
	tap_check $? "${prefix}nothing leaked: the stack unloads" || rc=1
	return $rc
}

rc=0
unload_stack
if ! load_stack ours; then
	echo "not ok 1 vfio_core: load vfio_iommu_type1, vfio_pci, mtty"
	exit 1
fi
run_stack "" || rc=1

unload_stack
if [ -n "${VM_STOCK_MODROOT:-}" ] && load_stack stock; then
	echo "# stock vfio core: the same tests, errnos must match"
	run_stack "stock: " || rc=1
	unload_stack
else
	echo "ok 1 stock comparison # SKIP no stock module root"
fi
exit $rc
