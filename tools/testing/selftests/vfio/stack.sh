# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Sourced by run.sh and bench.sh: switch between our stack (vfio, vfio_virqfd,
# vfio_iommu_type1, mdev from the tree) and the stock one in one boot, and give QEMU's edu
# device to vfio-pci. Debian's vfio-pci and the sample drivers load on either.

unload_stack() {
	local m
	for m in mtty vfio_pci vfio_pci_core vfio_iommu_type1 mdev vfio_virqfd vfio; do
		modprobe -r "$m" 2>/dev/null
	done
}

load_stack() {
	local root=()
	[ "$1" = stock ] && root=(-d "$VM_STOCK_MODROOT")
	modprobe "${root[@]}" vfio_iommu_type1 && modprobe "${root[@]}" vfio_pci &&
		modprobe "${root[@]}" mtty
}

bind_edu() {
	local d
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" != 0x1234 ] || [ "$(cat "$d/device")" != 0x11e8 ]; then
			continue
		fi
		echo vfio-pci > "$d/driver_override"
		[ -e "$d/driver" ] && echo "${d##*/}" > "$d/driver/unbind"
		echo "${d##*/}" > /sys/bus/pci/drivers_probe
	done
}
