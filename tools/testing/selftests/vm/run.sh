#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The test VM itself: the right kernel, the host's tree read-only with a writable overlay,
# both module roots, KVM for nested guests, and a nested guest started with the same runner.
n=0 failed=0
tap() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=1; fi
}

echo "TAP version 13"
[ "$(uname -r)" = "$VM_KVER" ]
tap $? "guest runs the fetched kernel $VM_KVER"

[ -x "$TOP/tools/testing/vm/run" ] && touch "$TOP/.vm-overlay-probe" && rm "$TOP/.vm-overlay-probe"
tap $? "host tree visible at the same path, writable through the overlay"

stock=$(modprobe -d "$VM_STOCK_MODROOT" -n -v vfio 2>/dev/null | grep -o '/[^ ]*vfio\.ko' | tail -n1)
[[ $stock == */kernel/drivers/vfio/vfio.ko ]]
tap $? "the stock module root resolves the stock vfio ($stock)"

ours=$(modinfo -n vfio 2>/dev/null)
if [ -f "$TOP/drivers/vfio/vfio.ko" ]; then
	[[ $ours == */updates/vfio.ko ]]
	tap $? "modprobe resolves our vfio from updates/ ($ours)"
else
	echo "ok $((n += 1)) modprobe resolves our vfio # SKIP vfio.ko not built yet"
fi

modinfo -n mtty > /dev/null 2>&1 && modprobe -d "$VM_STOCK_MODROOT" -n mtty
tap $? "the kernel's mdev samples are installed in both module roots"

modprobe kvm_amd && [ -c /dev/kvm ]
tap $? "kvm_amd loads and /dev/kvm exists"

inner=$("$TOP/tools/testing/vm/run" --kvm --modules none -m 384M --timeout 300 -- \
	sh -c 'grep -qw hypervisor /proc/cpuinfo && uname -r; exit 7' 2>&1)
rc=$?
sed 's/^/# nested: /' <<< "$inner"
# The release line, among the runner's own lines (a non-zero status keeps the log and says so)
grep -qx "$VM_KVER" <<< "$inner"
tap $? "a nested KVM guest boots with the same runner (--kvm)"
[ $rc -eq 7 ]
tap $? "the runner carries the guest command's exit status back (7, got $rc)"

# The boot watchdog: no guest reaches its init within a second, so each of a nested
# guest's three boots is stopped as hung, and the run fails with 124
inner=$(VM_BOOT_DEADLINE=1 "$TOP/tools/testing/vm/run" --kvm --modules none -m 384M \
	--timeout 300 -- true 2>&1)
rc=$?
sed 's/^/# nested: /' <<< "$inner"
[ $rc -eq 124 ] && [ "$(grep -c 'within 1s (boot hung)' <<< "$inner")" -eq 3 ] &&
	grep -q 'booting the guest once more' <<< "$inner"
tap $? "a guest that does not reach its init in time is stopped and booted twice more (got $rc)"

# The wedge watch: a nested guest whose console shows RCU's "timer wakeup didn't happen" is
# stopped at once, well before its time limit, and booted once more. Here the first boot
# that runs the command prints the line and waits (leaving a mark in the run directory,
# which the guest's /run/vm is); the next finds the mark and exits 0, which the run then
# returns. That takes two boots that come up, and on a busy host one nested boot in three
# has been seen to reset on its own: so this run may boot up to five times (VM_BOOTS). Had
# the wedge not been caught, its boot alone would have lasted the 300 s limit.
start=$SECONDS
inner=$(VM_BOOTS=5 "$TOP/tools/testing/vm/run" --kvm --modules none -m 384M --timeout 300 -- sh -c \
	"[ -e /run/vm/wedged-once ] && exit 0; : > /run/vm/wedged-once;
	echo \"<3>rcu: rcu_preempt kthread timer wakeup didn't happen (vm suite)\" > /dev/kmsg; sleep 600" 2>&1)
rc=$?
took=$((SECONDS - start))
sed 's/^/# nested: /' <<< "$inner"
[ $rc -eq 0 ] && [ "$(grep -c 'nested guest wedged' <<< "$inner")" -ge 1 ] &&
	grep -q 'booting it once more' <<< "$inner" && [ $took -lt 300 ]
tap $? "a nested guest that wedges is stopped early and booted once more (got $rc in ${took}s)"

echo "1..$n"
exit "$failed"
