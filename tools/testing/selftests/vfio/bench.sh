#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The type1 benchmarks, inside the test VM as root (with this suite's vm.conf): each on our
# vfio_iommu_type1, then on the stock one, in the same boot. Prints "# bench" lines.
set -u
cd "$(dirname "$0")" || exit 2
# shellcheck source-path=SCRIPTDIR
. ./stack.sh

benches=${*:-map4k bitmap32g phys1g-thp phys1g-4k}
for stack in ours stock; do
	unload_stack
	load_stack "$stack" || { echo "# cannot load the $stack stack"; exit 1; }
	bind_edu
	for b in $benches; do
		printf '# %-5s ' "$stack"
		./vfio_type1_bench "$b"
	done
done
unload_stack
