#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host suite: our modules export every symbol the stock modules of the same names export,
# with the same modversions CRC and the same export type (GPL or not), so that modules
# built for the stock kernel (Debian's vfio-pci, the kernel's mdev samples) load against
# ours unchanged. Reads the Module.symvers of the build (ours) and of the kernel headers.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../../.." && pwd)
kdir=${KDIR:-$top/.cache/kernel/build}
ours=$top/Module.symvers
stock=$kdir/Module.symvers
n=0 failed=0

tap() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=1; fi
}

# symbols MODULE SYMVERS: "name crc type" lines of MODULE's exports (path suffix match)
symbols() {
	awk -v m="$1" '$3 ~ ("(^|/)" m "$") { print $2, $1, $4 }' "$2" | sort
}

echo "TAP version 13"
for f in "$ours" "$stock"; do
	[ -s "$f" ] || { echo "not ok 1 no $f (run make)"; echo "1..1"; exit 1; }
done
# (vfio_iommu_type1 exports nothing; its seam is vfio_register_iommu_driver() in vfio)
for m in drivers/vfio/vfio drivers/vfio/vfio_virqfd drivers/vfio/mdev/mdev; do
	name=${m##*/}
	want=$(symbols "$m" "$stock")
	have=$(symbols "$name" "$ours")
	missing=$(comm -23 <(echo "$want") <(echo "$have"))
	[ -n "$missing" ] && sed "s/^/# $name: stock has, ours differs or lacks: /" <<< "$missing"
	tap "$([ -n "$want" ] && [ -z "$missing" ]; echo $?)" \
	    "$name: $(wc -l <<< "$want") stock exports with equal CRCs and export types"
done
echo "1..$n"
exit "$failed"
