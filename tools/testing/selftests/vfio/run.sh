#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The type1 suites, inside the test VM as root: first on our vfio_iommu_type1, then the
# same binaries on the stock one in the same boot, so that every errno is compared with
# stock's (stock results are reported as "stock: ..." test names). Physical tests use
# QEMU's edu device behind the emulated Intel IOMMU, bound to Debian's vfio-pci here.
set -u
cd "$(dirname "$0")" || exit 2

# shellcheck source-path=SCRIPTDIR
. ./stack.sh

run_tests() {
	local prefix=$1 t rc=0
	for t in vfio_type1_map_test vfio_type1_dirty_test vfio_type1_phys_test; do
		TYPE1_STACK=${prefix:+stock} "./$t" 2>&1 | sed -u "s/^\(\(not \)\?ok [0-9]* \)/\1$prefix/"
		[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	done
	return $rc
}

rc=0
unload_stack
if ! load_stack ours; then
	echo "not ok 1 type1: load vfio_iommu_type1, vfio_pci, mtty"
	exit 1
fi
echo "# vfio_iommu_type1: $(modinfo -F filename vfio_iommu_type1)"
bind_edu
run_tests "" || rc=1

unload_stack
if [ -n "${VM_STOCK_MODROOT:-}" ] && load_stack stock; then
	echo "# stock vfio_iommu_type1: the same tests, errnos must match"
	bind_edu
	run_tests "stock: " || rc=1
	unload_stack
else
	echo "ok 1 stock comparison # SKIP no stock module root"
fi
exit $rc
