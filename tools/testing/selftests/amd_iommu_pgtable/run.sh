#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# amd_iommu_pgtable suite, run as root inside the test VM:
#  1. the host-side valgrind run of the page table's userspace build (made by `make`);
#  2. amd_v1_pgtable_test.ko: the self-test with the kernel's mask, then a fake SME mask;
#  3. amd_v1_qemu_test.ko: DMA from QEMU's edu device through QEMU's amd-iommu walking
#     our tables (vm.conf boots with -device amd-iommu and amd_iommu=off).
# Each module prints "<tag>: ok N name" lines in the kernel log; they are renumbered here.
set -u
n=0
failed=0

tap() {
	n=$((n + 1))
	echo "$1 $n $2"
	case $1 in not*) failed=1 ;; esac
}

# run_module MODULE TAG: load MODULE, report its TAP lines from the kernel log, unload it
run_module() {
	local mod=$1 tag=$2 before lines line
	before=$(dmesg | wc -l)
	if ! modinfo "$mod" >/dev/null 2>&1; then
		tap ok "$mod # SKIP module not built"
		return
	fi
	modprobe "$mod"
	lines=$(dmesg | tail -n +"$((before + 1))" | sed -n "s/.*$tag: \(\(not \)\?ok [0-9]* .*\)/\1/p")
	[ -n "$lines" ] || tap "not ok" "$mod: no results in the kernel log"
	while read -r line; do
		[ -n "$line" ] || continue
		case $line in
		not*) tap "not ok" "${line#not ok * }" ;;
		*) tap ok "${line#ok * }" ;;
		esac
	done <<< "$lines"
	dmesg | tail -n +"$((before + 1))" | grep -E "$tag: (line|#)" | sed 's/^/# /'
	modprobe -r "$mod" 2>/dev/null
}

if [ -f build/valgrind.log ]; then
	if grep -q '^amdv1_test: not ok' build/valgrind.log; then
		tap "not ok" "userspace_build_under_valgrind"
	else
		tap ok "userspace_build_under_valgrind"
	fi
else
	tap ok "userspace_build_under_valgrind # SKIP run 'make' in the suite on the host first"
fi

run_module amd_v1_pgtable_test amdv1_test
run_module amd_v1_qemu_test amdv1_qemu

exit "$failed"
