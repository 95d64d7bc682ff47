#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The nested-guest end to end, in the test VM: create a vGPU through sysfs, boot a nested
# KVM guest with it (-device vfio-pci,sysfsdev=...), where the guest drives the copy engine
# (guest/vgpu_ce_guest), stock bochs-drm binds the vGPU and guest/vgpu_draw draws the test
# pattern with libdrm and, while it holds the mode, the guest leaves QEMU through
# isa-debug-exit (written through /dev/port) with the scanout programmed;
# then vgpu-screenshot captures the plane on this side and the PNG must match the pattern
# pixel for pixel. Meanwhile qemu_dirty_test, on this side, takes QEMU's VFIO container
# (pidfd_getfd) and checks that exactly the pages the guest's copy engine wrote show up in
# the type1 dirty bitmap; the two talk through files in the runner's run directory, which
# the guest sees as /run/vm (the handshake is in qemu_dirty_test.c). Then a second guest
# on a vGPU without the dma-buf plane, with QEMU's display=on: QEMU shows the region
# plane, and its own screendump (QMP) must be the pattern; then that vGPU is removed while
# QEMU holds it, which must complete through QEMU's unplug (request eventfd). Prints TAP.
# Env: NESTED_STACK=stock|ours (default stock), VM_RUNNER, SHOT_DIR (where to leave the
# PNGs, default /tmp), NESTED_UUID (use this existing vGPU for the first guest instead of
# creating a quarter one, and leave it in place: the demo's way in), NESTED_DISPLAY=''
# (leave out the display=on guest).
# shellcheck source-path=SCRIPTDIR
set -u
here=$(cd "$(dirname "$0")" && pwd)
runner=${VM_RUNNER:-$TOP/tools/testing/vm/run}
stack=${NESTED_STACK:-stock}
shots=${SHOT_DIR:-/tmp}
width=1024 height=768
n=0 failed=0
# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"

put() { echo "$2" > "$1"; }

skip_all() { tap 0 "nested end to end" "$1"; exit 0; }

[ -x "$runner" ] || skip_all "no VM runner at $runner"
modprobe kvm_amd 2>/dev/null || modprobe kvm_intel 2>/dev/null
[ -w /dev/kvm ] || skip_all "no /dev/kvm (nested virtualisation unavailable)"

root=()
[ "$stack" = stock ] && root=(-d "$VM_STOCK_MODROOT")
for m in vfio vfio_iommu_type1 mdev; do
	modprobe "${root[@]}" "$m" || skip_all "cannot load $m ($stack)"
done
lsmod | grep -q '^vgpu ' || insmod "$TOP/samples/vgpu/vgpu.ko" || skip_all "cannot load vgpu.ko"

types=/sys/class/mdev_bus/vgpu0/mdev_supported_types
uuid=${NESTED_UUID:-}
if [ -n "$uuid" ]; then
	[ -e "/sys/bus/mdev/devices/$uuid" ]
	tap $? "use the given vGPU ($uuid)"
else
	uuid=$(cat /proc/sys/kernel/random/uuid)
	put "$types/vgpu-quarter/create" "$uuid"
	tap $? "create a quarter vGPU through sysfs ($uuid)"
fi

# In the guest: bochs-drm binds, vgpu_draw draws the pattern and holds the mode
draw_cmd="modprobe bochs; for i in \$(seq 50); do [ -e /dev/dri/card0 ] && break; sleep 0.2; done;"
draw_cmd+=" $here/guest/vgpu_draw -m ${width}x$height > /tmp/draw.log 2>&1 &"
draw_cmd+=" for i in \$(seq 300); do grep -q DRAWN /tmp/draw.log && break; sleep 0.2; done;"
draw_cmd+=" cat /tmp/draw.log;"
# isa-debug-exit through /dev/port: a userspace ioperm() + outb faults (#GP) in a guest
# nested under TCG, the kernel's outb behind /dev/port does not. QEMU exits at this write.
exit_cmd="sync; printf '\\0' | dd of=/dev/port bs=1 seek=\$((0xf4)) count=1"

# The runner's run directory under $chan (the guest's /run/vm) once the guest has made
# the file $1 there, waiting up to $2 half-seconds; empty if it never did
guest_rundir() {
	local rundir=''
	for _ in $(seq "$2"); do
		[ -z "$rundir" ] && rundir=$(find "$chan" -maxdepth 1 -name 'vm-run.*' | head -n1)
		if [ -n "$rundir" ] && [ -e "$rundir/$1" ]; then
			echo "$rundir"
			return
		fi
		sleep 0.5
	done
}

# The QEMU that runs the guest of run directory $1
guest_qemu() { pgrep -f "^qemu-system-x86_64 .*path=$1," | head -n1; }

guest_cmd="$here/guest/vgpu_ce_guest /run/vm; $draw_cmd $exit_cmd"
# QEMU (pid $1) is gone, or was never found: its nested guest died, and the runner boots
# the guest again (up to twice). The host's side then starts over with the next boot, in
# a run directory without the handshake files of the one that died ($2 of them).
guest_died() {
	[ -n "$1" ] && kill -0 "$1" 2> /dev/null && return 1
	echo "the nested guest's QEMU ('$1') went away; waiting for the next boot"
	rm -f "${@:2}"
}

# The host's side of the dirty check, beside the guest: once the guest has named its
# pages, the QEMU of that boot; then qemu_dirty_test drives it.
dirty_host() {
	local rundir pid
	for _ in 1 2 3; do
		rundir=$(guest_rundir ce-pages 560)
		[ -n "$rundir" ] || return 1
		pid=$(guest_qemu "$rundir")
		echo "run directory '$rundir', QEMU pid '$pid'"
		QEMU_PID=$pid HANDSHAKE_DIR=$rundir "$here/qemu_dirty_test" && return 0
		guest_died "$pid" "$rundir"/ce-* || return 1
	done
	return 1
}

log=$(mktemp)
chan=$(mktemp -d)
dlog=$chan/dirty.log
dirty_host > "$dlog" 2>&1 &
dirty_pid=$!
start=$(date +%s)
TMPDIR=$chan TOP_OVERRIDE=$TOP "$runner" --kvm --modules none -m 512M --timeout 300 \
	--qemu "-device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid" \
	--qemu "-device isa-debug-exit,iobase=0xf4,iosize=4" \
	-- bash -c "$guest_cmd" > "$log" 2>&1
echo "# nested guest ran for $(($(date +%s) - start))s"
sed 's/^/# guest: /' "$log"

grep -qE '^ok [0-9]+ copy engine: guest page -> VRAM' "$log"
tap $? "nested guest: copy engine guest memory -> VRAM"
grep -qE '^ok [0-9]+ the page came back through VRAM intact' "$log"
tap $? "nested guest: VRAM -> guest memory, data intact"
grep -qE '^ok [0-9]+ a descriptor outside guest RAM is refused' "$log"
tap $? "nested guest: bad descriptor refused"
pkill -P "$dirty_pid" 2>/dev/null; kill "$dirty_pid" 2>/dev/null
wait "$dirty_pid"
sed 's/^/# host: /' "$dlog"
grep -qE '^ok [0-9]+ copy engine wrote pages 0, 3, 5 and 6' "$log"
tap $? "nested guest: copy engine writes while the host tracks dirty pages"
grep -qE '^ok 1 global.guest_copy_engine_writes_reach_the_dirty_bitmap' "$dlog"
tap $? "host: exactly the pages the guest's engine wrote are in QEMU's container's dirty bitmap"
! grep -qE '^not ok' "$log"
tap $? "nested guest: every copy engine check passed"
grep -q "DRAWN ${width}x$height" "$log"
tap $? "nested guest: bochs-drm bound the vGPU and the pattern is on screen"

"$TOP/tools/vgpu-screenshot/vgpu-screenshot" -v "$uuid" "$shots/vgpu-dmabuf.png"
tap $? "vgpu-screenshot (dma-buf plane) after the guest"
"$here/guest/png_check" "$shots/vgpu-dmabuf.png" "$width" "$height" | sed 's/^/# /'
tap "${PIPESTATUS[0]}" "dma-buf screenshot matches the pattern pixel for pixel"
"$TOP/tools/vgpu-screenshot/vgpu-screenshot" -r "$uuid" "$shots/vgpu-region.png"
tap $? "vgpu-screenshot (region plane)"
"$here/guest/png_check" "$shots/vgpu-region.png" "$width" "$height" | sed 's/^/# /'
tap "${PIPESTATUS[0]}" "region screenshot matches the pattern pixel for pixel"

if [ -z "${NESTED_UUID:-}" ]; then
	put "/sys/bus/mdev/devices/$uuid/remove" 1
	tap $? "remove the vGPU"
fi
rm -rf "$log" "$chan"

# QEMU's display=on: a vGPU without the dma-buf plane (which QEMU could show only with
# OpenGL), so QEMU maps the region plane; once the guest has drawn, QEMU's screendump of
# that console, taken through QMP while the guest holds the mode, must be the pattern.
[ -n "${NESTED_DISPLAY-1}" ] || exit $failed
guest_cmd="$draw_cmd : > /run/vm/drawn;"
guest_cmd+=" for i in \$(seq 600); do [ -e /run/vm/shot ] && break; sleep 0.2; done; $exit_cmd"

# this side: once the guest has drawn, QEMU's screendump, then tell the guest to go
display_host() {
	local rundir rc qemu remover
	for _ in 1 2 3; do
		rundir=$(guest_rundir drawn 600)
		if [ -z "$rundir" ]; then
			echo "the guest never drew"
			return 1
		fi
		qemu=$(guest_qemu "$rundir")
		"$here/qmp_screendump.py" "$chan/qmp.sock" vgpu "$shots/qemu-display.png"
		rc=$?
		[ $rc -eq 0 ] && break
		guest_died "$qemu" "$rundir/drawn" || break
	done
	# removal while QEMU holds the vGPU: the request eventfd reaches QEMU, which unplugs
	# the device from its guest and lets go of it; the removal then completes
	put "/sys/bus/mdev/devices/$uuid/remove" 1 &
	remover=$!
	for _ in $(seq 120); do
		[ -e "/sys/bus/mdev/devices/$uuid" ] || break
		sleep 0.5
	done
	if [ ! -e "/sys/bus/mdev/devices/$uuid" ] && kill -0 "$qemu" 2>/dev/null; then
		echo "REMOVED while QEMU (pid $qemu) ran"
	else
		echo "the removal did not complete within 60 s of QEMU running"
	fi
	: > "$rundir/shot"
	wait "$remover"
	return $rc
}

uuid=$(cat /proc/sys/kernel/random/uuid)
put /sys/module/vgpu/parameters/dmabuf N &&
	put "$types/vgpu-quarter/create" "$uuid"
tap $? "create a quarter vGPU without the dma-buf plane ($uuid)"
put /sys/module/vgpu/parameters/dmabuf Y
log=$(mktemp)
chan=$(mktemp -d)
rm -f "$shots/qemu-display.png"
display_host > "$chan/display.log" 2>&1 &
display_pid=$!
TMPDIR=$chan TOP_OVERRIDE=$TOP "$runner" --kvm --modules none -m 512M --timeout 300 \
	--qemu "-device pcie-root-port,id=rp0,chassis=1" \
	--qemu "-device vfio-pci,sysfsdev=/sys/bus/mdev/devices/$uuid,display=on,id=vgpu,bus=rp0" \
	--qemu "-qmp unix:$chan/qmp.sock,server=on,wait=off" \
	--qemu "-device isa-debug-exit,iobase=0xf4,iosize=4" \
	-- bash -c "$guest_cmd" > "$log" 2>&1
sed 's/^/# display guest: /' "$log"
wait "$display_pid"
rc=$?
sed 's/^/# display host: /' "$chan/display.log"
grep -q "DRAWN ${width}x$height" "$log"
tap $? "display=on guest: bochs-drm bound the vGPU and the pattern is on screen"
tap $rc "QEMU's screendump of the vGPU's console (display=on, region plane)"
"$here/guest/png_check" "$shots/qemu-display.png" "$width" "$height" | sed 's/^/# /'
tap "${PIPESTATUS[0]}" "QEMU's display shows the pattern pixel for pixel"
grep -q '^REMOVED while QEMU' "$chan/display.log"
tap $? "removal while QEMU holds the vGPU: QEMU unplugs it and the removal completes"
[ ! -e "/sys/bus/mdev/devices/$uuid" ] || put "/sys/bus/mdev/devices/$uuid/remove" 1
tap $? "the vGPU is gone"
rm -rf "$log" "$chan"
exit $failed
