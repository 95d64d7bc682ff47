#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The mdev suite, run as root inside the test VM (the runner loaded vfio, vfio_virqfd,
# vfio_iommu_type1 and our mdev). Prints flat TAP; exits non-zero if any test failed.
#
# Order: our stack (sysfs ABI and errnos, uevents, VFIO opens of mtty/mdpy/mbochs mdevs,
# removal racing with an open device, parent unregistration with live mdevs, mdevctl,
# single_usage_restriction, stress, an mtty mdev in a nested KVM guest), then the stock
# mdev in the same boot for the same sysfs/errno test, whose errno table must equal ours.
set -u
cd "$(dirname "$0")" || exit 2

T=0
FAILED=0
OUTDIR=$(mktemp -d)
SYS=/sys/class/mdev_bus
DEVS=/sys/bus/mdev/devices
STOCK_ROOT=${VM_STOCK_MODROOT:-}

ok() { T=$((T + 1)); echo "ok $T $*"; }
not_ok() { T=$((T + 1)); FAILED=$((FAILED + 1)); echo "not ok $T $*"; }
skip() { T=$((T + 1)); echo "ok $T $1 # SKIP $2"; }
# check NAME CMD...: one TAP line from CMD's status, its output as comments. CMD runs in a
# subshell, so fail() ends the test at once.
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'
	if [ "$rc" -eq 0 ]; then ok "$name"; else not_ok "$name"; fi
	return "$rc"
}
fail() { echo "$*" >&2; exit 1; }

uuid() { printf '%08x-0000-4000-8000-%012x' "$1" "$2"; }
avail() { cat "$SYS/$1/mdev_supported_types/$2/available_instances"; }
nr_mdevs() { find "$DEVS" -mindepth 1 -maxdepth 1 | wc -l; }
is_ours() { grep -q O /sys/module/mdev/taint; }

create() { echo "$3" > "$SYS/$1/mdev_supported_types/$2/create"; }
remove() { echo 1 > "$DEVS/$1/remove"; }

# --- our stack ------------------------------------------------------------------------------

load_samples() {
	local root=$1 m
	for m in mtty mdpy mbochs; do
		modprobe ${root:+-d "$root"} "$m" || fail "modprobe $m failed"
	done
}

test_load() {
	is_ours || fail "the mdev module loaded is not ours"
	load_samples "" || return 1
	for p in mtty mdpy mbochs; do
		[ -d "$SYS/$p" ] || fail "parent $p missing in $SYS"
	done
}

# MDEV_STATE change uevents on the parent: what mdevctl's udev rule starts mdevs on
test_uevents() {
	local log=$OUTDIR/uevents pid
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)
s.bind((0, 1))
s.settimeout(0.5)
print("ready", flush=True)
end = time.time() + float(sys.argv[1])
while time.time() < end:
    try:
        msg = s.recv(65536)
    except socket.timeout:
        continue
    f = msg.split(b"\0")
    print(" ".join(x.decode(errors="replace") for x in f if x.startswith((b"ACTION=", b"DEVPATH=", b"MDEV_"))), flush=True)
' 20 > "$log" &
	pid=$!
	for _ in $(seq 100); do grep -q ready "$log" && break; sleep 0.1; done
	rmmod mtty && modprobe mtty
	sleep 1
	kill "$pid"
	wait "$pid"
	grep -q 'ACTION=change DEVPATH=/devices/virtual/mtty/mtty MDEV_STATE=unregistered' "$log" ||
		fail "no MDEV_STATE=unregistered uevent: $(cat "$log")"
	grep -q 'ACTION=change DEVPATH=/devices/virtual/mtty/mtty MDEV_STATE=registered' "$log" ||
		fail "no MDEV_STATE=registered uevent: $(cat "$log")"
}

# Create an mdev of each stock sample, open it through VFIO, remove it
test_vfio_open() {
	local parent=$1 type=$2 id=$3 u before rc
	u=$(uuid 0x0f0f0f0f 1)
	before=$(avail "$parent" "$type")
	create "$parent" "$type" "$u" || return 1
	MDEV_UUID=$u MDEV_PCI_ID=$id ./mdev_vfio_test
	rc=$?
	remove "$u" || rc=1
	[ "$(avail "$parent" "$type")" = "$before" ] || fail "available_instances not restored"
	return "$rc"
}

# "remove" of an open mdev waits for the user to close it, then completes
test_remove_while_open() {
	local u holder_in remover before
	u=$(uuid 0x0e0e0e0e 1)
	before=$(avail mtty mtty-1)
	create mtty mtty-1 "$u" || return 1
	holder_in=$OUTDIR/hold
	mkfifo "$holder_in"
	./mdev_open "$u" - < "$holder_in" > "$OUTDIR/hold.out" &
	exec 7> "$holder_in"
	for _ in $(seq 50); do grep -q open "$OUTDIR/hold.out" && break; sleep 0.1; done
	grep -q open "$OUTDIR/hold.out" || fail "mdev_open did not open $u"
	# The remover must not hold the holder's stdin open
	remove "$u" 7>&- &
	remover=$!
	sleep 2
	kill -0 "$remover" 2> /dev/null || fail "remove of an open mdev did not wait for the user"
	exec 7>&-
	wait "$remover" || fail "remove failed after close"
	wait
	[ ! -e "$DEVS/$u" ] || fail "$u still exists"
	[ "$(avail mtty mtty-1)" = "$before" ] || fail "available_instances not restored"
}

# Unloading a vendor driver unregisters its parent with live mdevs: they go, counts return
test_parent_unregister_live() {
	local a1 a2
	a1=$(avail mtty mtty-1)
	a2=$(avail mtty mtty-2)
	create mtty mtty-1 "$(uuid 0x0d0d0d0d 1)" || return 1
	create mtty mtty-2 "$(uuid 0x0d0d0d0d 2)" || return 1
	create mdpy mdpy-vga "$(uuid 0x0d0d0d0d 3)" || return 1
	rmmod mtty || fail "rmmod mtty with live mdevs failed"
	[ ! -e "$DEVS/$(uuid 0x0d0d0d0d 1)" ] || fail "mdev of mtty survived its parent"
	[ -e "$DEVS/$(uuid 0x0d0d0d0d 3)" ] || fail "mdpy's mdev went with mtty"
	[ ! -e "$SYS/mtty" ] || fail "$SYS/mtty survived"
	remove "$(uuid 0x0d0d0d0d 3)"
	modprobe mtty || return 1
	[ "$(avail mtty mtty-1)" = "$a1" ] || fail "mtty-1 available_instances not back"
	[ "$(avail mtty mtty-2)" = "$a2" ] || fail "mtty-2 available_instances not back"
	[ "$(nr_mdevs)" -eq 0 ] || fail "mdevs left: $(ls "$DEVS")"
}

test_mdevctl() {
	local u1 u2
	u1=$(uuid 0x0c0c0c0c 1)
	u2=$(uuid 0x0c0c0c0c 2)
	mdevctl types | grep -q '^  mtty-1' || fail "mdevctl types: $(mdevctl types)"
	mdevctl types | grep -q '^  mdpy-vga' || fail "mdevctl types misses mdpy"
	mdevctl start -u "$u1" -p mtty -t mtty-1 || fail "mdevctl start failed"
	[ -e "$DEVS/$u1" ] || fail "mdevctl start made no mdev"
	mdevctl list | grep -q "^$u1 mtty mtty-1" || fail "mdevctl list: $(mdevctl list)"
	mdevctl stop -u "$u1" || fail "mdevctl stop failed"
	[ ! -e "$DEVS/$u1" ] || fail "mdevctl stop left the mdev"
	mdevctl define -u "$u2" -p mtty -t mtty-2 || fail "mdevctl define failed"
	mdevctl list -d | grep -q "^$u2 mtty mtty-2 manual" || fail "mdevctl list -d: $(mdevctl list -d)"
	mdevctl start -u "$u2" || fail "mdevctl start of a defined mdev failed"
	[ -L "$DEVS/$u2/mdev_type" ] || fail "defined mdev not started"
	mdevctl list | grep -q "^$u2 mtty mtty-2 manual (defined)" || fail "mdevctl list: $(mdevctl list)"
	mdevctl stop -u "$u2" || fail "mdevctl stop of a defined mdev failed"
	mdevctl undefine -u "$u2" || fail "mdevctl undefine failed"
	[ -z "$(mdevctl list -d)" ] || fail "definitions left: $(mdevctl list -d)"
	[ "$(nr_mdevs)" -eq 0 ] || fail "mdevs left: $(ls "$DEVS")"
}

SU=$SYS/mdev_su_test/mdev_supported_types
test_single_usage_attr() {
	insmod module/mdev_su_test.ko || return 1
	[ "$(cat "$SU/mdev_su_test-restricted/single_usage_restriction")" = Y ] ||
		fail "restricted type does not show Y"
	[ "$(cat "$SU/mdev_su_test-shared/single_usage_restriction")" = N ] ||
		fail "type declared after registration does not show N"
	[ ! -e "$SU/mdev_su_test-plain/single_usage_restriction" ] ||
		fail "undeclared type shows the attribute"
	[ "$(stat -c %a "$SU/mdev_su_test-restricted/single_usage_restriction")" = 444 ] ||
		fail "single_usage_restriction is not read-only"
}

# Two mdevs of a restricted type in one container: EBUSY and a dmesg line; shared: fine
test_single_usage_enforced() {
	local r1 r2 s1 s2 rc=0
	r1=$(uuid 0x0b0b0b0b 1) r2=$(uuid 0x0b0b0b0b 2)
	s1=$(uuid 0x0b0b0b0b 3) s2=$(uuid 0x0b0b0b0b 4)
	create mdev_su_test mdev_su_test-restricted "$r1" || return 1
	create mdev_su_test mdev_su_test-restricted "$r2" || return 1
	create mdev_su_test mdev_su_test-shared "$s1" || return 1
	create mdev_su_test mdev_su_test-shared "$s2" || return 1
	dmesg -C
	MDEV_UUID=$r1 MDEV_UUID2=$r2 MDEV_SECOND_ERRNO=16 ./mdev_usage_test || rc=1
	dmesg | grep -qiE 'single.usage' || fail "no dmesg line explains the refusal"
	MDEV_UUID=$s1 MDEV_UUID2=$s2 MDEV_SECOND_ERRNO=0 ./mdev_usage_test || rc=1
	return "$rc"
}

# Unloading the test driver with live mdevs drops its declarations and our policy, with
# every module reference taken for them (VFIO_REFS0, MDEV_REFS0: counts before insmod)
test_single_usage_unload() {
	create mdev_su_test mdev_su_test-restricted "$(uuid 0x0b0b0b0b 5)" 2> /dev/null
	rmmod mdev_su_test || fail "rmmod mdev_su_test with live mdevs failed"
	[ "$(nr_mdevs)" -eq 0 ] || fail "mdevs left: $(ls "$DEVS")"
	[ "$(cat /sys/module/vfio/refcnt)" = "$VFIO_REFS0" ] ||
		fail "vfio.ko refcnt $(cat /sys/module/vfio/refcnt), was $VFIO_REFS0"
	[ "$(cat /sys/module/mdev/refcnt)" = "$MDEV_REFS0" ] ||
		fail "mdev.ko refcnt $(cat /sys/module/mdev/refcnt), was $MDEV_REFS0"
	insmod module/mdev_su_test.ko || fail "reload of the test driver failed"
	rmmod mdev_su_test || fail "second unload of the test driver failed"
}

has_usage_policy() { grep -qw vfio_register_usage_policy /proc/kallsyms; }

# Parallel create/open/remove loops, racing creators and removers on one UUID, a reader
# of available_instances, and a parent reload under creation; then every count is back.
stress_worker() { # stress_worker ID ITERATIONS
	local i u
	for i in $(seq "$2"); do
		u=$(uuid "$1" "$i")
		create mtty mtty-1 "$u" 2> /dev/null || continue
		./mdev_open "$u" > /dev/null 2>&1
		remove "$u" 2> /dev/null || echo "remove of $u failed"
	done
}

stress_racer() { # two of these fight over one UUID
	local i u
	u=$(uuid 0x0a0a0a0a 0)
	for i in $(seq "$1"); do
		create mtty mtty-2 "$u" 2> /dev/null
		./mdev_open "$u" > /dev/null 2>&1
		remove "$u" 2> /dev/null
		: "$i"
	done
}

stress_reader() { # checks 0 <= available_instances <= max while the others run
	local v
	while [ -e "$OUTDIR/stress.run" ]; do
		v=$(avail mtty mtty-1 2> /dev/null) || continue
		[ "$v" -ge 0 ] && [ "$v" -le "$1" ] || echo "available_instances out of range: $v"
	done
}

test_stress() {
	local a1 a2 av w errs=$OUTDIR/stress.err pids=()
	a1=$(avail mtty mtty-1) a2=$(avail mtty mtty-2) av=$(avail mdpy mdpy-vga)
	touch "$OUTDIR/stress.run"
	stress_reader "$a1" > "$errs.reader" &
	for w in 1 2 3; do stress_worker "$w" 12 > "$errs.$w" & pids+=($!); done
	stress_racer 15 & pids+=($!)
	stress_racer 15 & pids+=($!)
	wait "${pids[@]}"
	rm -f "$OUTDIR/stress.run"
	wait
	# mdevs created while their parent unregisters
	for w in $(seq 20); do create mdpy mdpy-vga "$(uuid 0x09090909 "$w")" 2> /dev/null; done &
	sleep 0.2
	rmmod mdpy && modprobe mdpy || echo "mdpy reload failed"
	wait
	for w in $(seq 20); do remove "$(uuid 0x09090909 "$w")" 2> /dev/null; done
	cat "$errs".* >&2
	[ -z "$(cat "$errs".*)" ] || return 1
	[ "$(nr_mdevs)" -eq 0 ] || fail "mdevs left: $(ls "$DEVS")"
	[ "$(avail mtty mtty-1)" = "$a1" ] || fail "mtty-1 available_instances not back"
	[ "$(avail mtty mtty-2)" = "$a2" ] || fail "mtty-2 available_instances not back"
	[ "$(avail mdpy mdpy-vga)" = "$av" ] || fail "mdpy-vga available_instances not back"
}

# An mtty mdev assigned to a nested KVM guest: its 8250 driver binds it and a short write
# comes back (mtty loops data back)
test_nested_guest() {
	local u rc
	u=$(uuid 0x08080808 1)
	create mtty mtty-1 "$u" || return 1
	"$TOP/tools/testing/vm/run" --kvm --modules none -m 512M --timeout 300 \
		--append 8250.nr_uarts=8 \
		--qemu "-device vfio-pci,sysfsdev=$DEVS/$u" -- "$PWD/nested-guest.sh"
	rc=$?
	remove "$u" || rc=1
	return "$rc"
}

# --- the stock stack, same boot -------------------------------------------------------------

switch_to_stock() {
	rmmod mtty mdpy mbochs mdev || return 1
	modprobe -d "$STOCK_ROOT" mdev || return 1
	is_ours && fail "stock mdev expected"
	load_samples "$STOCK_ROOT"
}

test_stock_loads_su_driver() {
	insmod module/mdev_su_test.ko || return 1
	[ ! -e "$SU/mdev_su_test-restricted/single_usage_restriction" ] ||
		fail "stock mdev shows single_usage_restriction?"
	rmmod mdev_su_test
}

errno_table() { grep -o 'errno-table: .*' "$1" | sort; }

# --- main -----------------------------------------------------------------------------------

echo "TAP version 13"
if ! check "load mtty, mdpy, mbochs on our mdev" test_load; then
	echo "Bail out! our stack did not load"
	exit 1
fi
./mdev_sysfs_test > "$OUTDIR/ours.txt" 2>&1
rc=$?
sed 's/^/# /' "$OUTDIR/ours.txt" | grep -v errno-table
if [ "$rc" -eq 0 ]; then ok "sysfs ABI and errnos (ours)"; else not_ok "sysfs ABI and errnos (ours)"; fi
check "MDEV_STATE uevents on parent (un)registration" test_uevents
check "VFIO open of an mtty mdev" test_vfio_open mtty mtty-2 0x32534348
check "VFIO open of an mdpy mdev" test_vfio_open mdpy mdpy-vga 0x000f1b36
check "VFIO open of an mbochs mdev" test_vfio_open mbochs mbochs-small 0x11111234
check "remove of an open mdev waits for close" test_remove_while_open
check "parent unregistered with live mdevs" test_parent_unregister_live
check "mdevctl types/start/list/stop/define/undefine" test_mdevctl
VFIO_REFS0=$(cat /sys/module/vfio/refcnt)
MDEV_REFS0=$(cat /sys/module/mdev/refcnt)
if check "single_usage_restriction attribute: Y, N, absent" test_single_usage_attr; then
	if has_usage_policy; then
		check "single_usage_restriction enforced by the VFIO core" test_single_usage_enforced
	else
		skip "single_usage_restriction enforced by the VFIO core" \
			"this vfio.ko has no vfio_register_usage_policy"
	fi
	check "test driver unloads with live mdevs; policy dropped" test_single_usage_unload
fi
check "stress: parallel create/open/remove, counts restored" test_stress
if modprobe kvm_amd 2> /dev/null && [ -e /dev/kvm ]; then
	check "mtty mdev in a nested KVM guest: 8250 binds, data loops back" test_nested_guest
else
	skip "mtty mdev in a nested KVM guest" "no /dev/kvm (kvm_amd did not load)"
fi

if [ -z "$STOCK_ROOT" ]; then
	skip "sysfs ABI and errnos (stock)" "VM_STOCK_MODROOT not set"
elif check "switch to the stock mdev" switch_to_stock; then
	./mdev_sysfs_test > "$OUTDIR/stock.txt" 2>&1
	rc=$?
	grep -E '^(not ok|# +FAIL)' "$OUTDIR/stock.txt" | sed 's/^/# stock: /'
	if [ "$rc" -eq 0 ]; then ok "sysfs ABI and errnos (stock)"; else not_ok "sysfs ABI and errnos (stock)"; fi
	if [ -s "$OUTDIR/ours.txt" ] && diff <(errno_table "$OUTDIR/ours.txt") \
		<(errno_table "$OUTDIR/stock.txt") > "$OUTDIR/diff"; then
		ok "errno table identical on ours and stock ($(errno_table "$OUTDIR/ours.txt" | wc -l) cases)"
	else
		sed 's/^/# /' "$OUTDIR/diff"
		not_ok "errno table identical on ours and stock"
	fi
	check "test driver loads on the stock mdev, no attribute" test_stock_loads_su_driver
fi
check "every module unloads" rmmod mtty mdpy mbochs mdev

rm -rf "$OUTDIR"
echo "# $((T - FAILED)) passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
