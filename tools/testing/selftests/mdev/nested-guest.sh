#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs inside the nested guest of run.sh's test_nested_guest: find the assigned mtty
# (PCI 4348:3253), check that the 8250 driver bound it, write 4 bytes to its first port and
# read them back (mtty loops its transmitter into its receiver; keep writes short, its
# FIFO is small).
set -u
dev=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x4348 ] && [ "$(cat "$d/device")" = 0x3253 ] && dev=$d
done
[ -n "$dev" ] || { echo "no mtty PCI device in the guest"; lspci -nn 2>/dev/null; exit 1; }
drv=$(basename "$(readlink "$dev/driver")")
tty=$(find "$dev/tty" -mindepth 1 -maxdepth 1 -printf "%f\n" 2>/dev/null | head -n1)
echo "mtty at ${dev##*/}, driver $drv, port $tty"
[ -n "$tty" ] || { echo "no ttyS bound to the mtty"; exit 1; }
stty -F "/dev/$tty" raw -echo 115200 || exit 1
exec 3<> "/dev/$tty"
printf 'ping' >&3
got=$(timeout 10 dd bs=1 count=4 <&3 2>/dev/null)
exec 3>&-
echo "wrote 'ping', read back '$got'"
[ "$got" = ping ]
