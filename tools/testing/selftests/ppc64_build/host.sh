#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host suite: the tree cross-builds for ppc64le with gcc-powerpc64le-linux-gnu against
# Debian's ppc64el headers of the same kernel ABI ($CACHE/kernel-ppc64le, scripts/deps.sh),
# warnings as errors (the tree's Kbuild adds -Werror; modpost warnings fail here too), and
# vfio_spapr_eeh.ko exports what <linux/vfio.h> declares for it with the stock CRCs.
# drivers/iommu (the AMD IOMMU v1 page table, x86 only: sme_me_mask) is left out of this
# build; everything else is built. The build runs in a copy of the tree under
# $OUT/ppc64_build, so the checkout's x86 objects are not touched.
# shellcheck source-path=SCRIPTDIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../../../.." && pwd)
cache=${CACHE:-$top/.cache}
root=$cache/kernel-ppc64le
kdir=$root/build
work=${OUT:-$top/out}/ppc64_build
tree=$work/tree
cross=powerpc64le-linux-gnu-
n=0 failed=0
# shellcheck source=../lib/tap.sh
. "$top/tools/testing/selftests/lib/tap.sh"

# The work tree as git sees it (tracked and new files that exist, nothing ignored),
# without drivers/iommu
copy_tree() {
	rm -rf "$tree" && mkdir -p "$tree" || return 1
	(cd "$top" && git ls-files -co --exclude-standard | while IFS= read -r f; do
		[ -f "$f" ] && printf '%s\0' "$f"
	done | xargs -0 cp --parents -t "$tree") || return 1
	grep -q '^obj-m += drivers/iommu/$' "$tree/Kbuild" &&
		sed -i '/^obj-m += drivers\/iommu\/$/d' "$tree/Kbuild"
}

# crc SYMVERS SYMBOL: the CRC a Module.symvers gives SYMBOL
crc() { awk -v s="$2" '$2 == s { print $1 }' "$1"; }

echo "TAP version 13"
if ! command -v "${cross}gcc" >/dev/null || [ ! -f "$kdir/Module.symvers" ]; then
	tap 1 "cross compiler and ppc64el headers present (run scripts/deps.sh)"
	exit 1
fi
tap 0 "cross compiler and ppc64el headers present ($(cat "$root/release"))"

if ! copy_tree; then
	tap 1 "copy of the tree without drivers/iommu (x86 only)"
	exit 1
fi
tap 0 "copy of the tree without drivers/iommu (x86 only)"

log=$work/build.log
make -C "$kdir" M="$tree" ARCH=powerpc CROSS_COMPILE="$cross" -j"$(nproc)" modules >"$log" 2>&1
rc=$?
grep -E 'error|warning|WARNING' "$log" | head -n 40 | sed 's/^/# /'
tap "$([ $rc -eq 0 ] && ! grep -qE 'warning|WARNING' "$log"; echo $?)" \
	"ppc64le build of the tree, no warnings (log: $log)"

for ko in drivers/vfio/vfio.ko drivers/vfio/vfio_virqfd.ko drivers/vfio/type1/vfio_iommu_type1.ko \
	  drivers/vfio/mdev/mdev.ko drivers/vfio/vfio_spapr_eeh.ko samples/vgpu/vgpu.ko; do
	"${cross}readelf" -h "$tree/$ko" 2>/dev/null | grep -q 'Machine: *PowerPC64'
	tap $? "$ko is a ppc64le module"
done

ours=$tree/Module.symvers stock=$kdir/Module.symvers
[ -f "$ours" ] || exit 1
for sym in vfio_spapr_pci_eeh_open vfio_spapr_pci_eeh_release vfio_spapr_iommu_eeh_ioctl; do
	got=$(crc "$ours" "$sym") want=$(crc "$stock" "$sym")
	[ -n "$got" ] && [ "$got" = "$want" ] &&
		awk -v s="$sym" '$2 == s && $3 ~ /vfio_spapr_eeh$/ && $4 == "EXPORT_SYMBOL_GPL"' "$ours" | grep -q .
	tap $? "vfio_spapr_eeh exports $sym (GPL) with the stock CRC (ours ${got:-none}, stock $want)"
done

# Every other export of ours that stock ppc64el also has keeps its CRC there too
differ=$(awk 'NR == FNR { c[$2] = $1; next } ($2 in c) && c[$2] != $1 { print $2 }' "$stock" "$ours")
[ -n "$differ" ] && sed 's/^/# CRC differs from stock ppc64el: /' <<< "$differ"
tap "$([ -z "$differ" ]; echo $?)" "every other export keeps the stock ppc64el CRC"
exit $failed
