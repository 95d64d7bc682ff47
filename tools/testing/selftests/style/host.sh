#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Host suite: the tree passes the kernel's checkpatch.pl (C) and shellcheck (shell), and every
# source file carries an SPDX line.
set -uo pipefail
top=$(cd "$(dirname "$0")/../../../.." && pwd)
cd "$top" || exit 2
n=0 failed=0

tap() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=1; fi
}

# Userspace files under tools/ where a kernel rule does not fit, and the checkpatch types
# each one skips. Everything else, and anything in drivers/ or samples/, gets every check.
declare -A userspace_ignore=(
	# Stands in for the kernel headers so the unmodified page-table source builds on the
	# host: it has to define the kernel's own type names (gfp_t, atomic_long_t).
	[tools/testing/selftests/amd_iommu_pgtable/kshim.h]=NEW_TYPEDEFS
	# A guest userspace program driving a BAR it mmap()ed: its volatile accessors are
	# its readl()/writel(), which userspace does not have.
	[tools/testing/selftests/vgpu/guest/vgpu_ce_guest.c]=VOLATILE
)

# checkpatch FILE...: the ERROR and WARNING lines, with the exceptions above applied
checkpatch() {
	local f plain=()

	for f in "$@"; do
		if [[ -n ${userspace_ignore[$f]:-} && $f == tools/* ]]; then
			make -s checkpatch FILES="$f" CHECKPATCH_EXTRA="--ignore ${userspace_ignore[$f]}"
		else
			plain+=("$f")
		fi
	done
	make -s checkpatch FILES="${plain[*]}"
}

echo "TAP version 13"
mapfile -t cfiles < <(git ls-files -co --exclude-standard '*.c' '*.h' | grep -v '^tools/testing/selftests/.*/kselftest')
out=$(checkpatch "${cfiles[@]}" 2>&1 | grep -E '^[^ ]+:[0-9]+: (ERROR|WARNING):')
[ -n "$out" ] && echo "$out" | head -n 60 | sed 's/^/# /'
tap "$([ -z "$out" ] && [ ${#cfiles[@]} -gt 0 ]; echo $?)" "checkpatch clean on ${#cfiles[@]} C files"

# shell scripts: a sh/bash shebang, or a "# shellcheck shell=" line (sourced libraries);
# -x follows what they source (the sourcing script names the path with source-path=)
mapfile -t sh < <(git ls-files -co --exclude-standard | while read -r f; do
	[ -f "$f" ] || continue
	{ head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' ||
	  head -n3 "$f" | grep -qE '^# shellcheck shell=(ba)?sh\b'; } && echo "$f"
done)
out=$(shellcheck -x "${sh[@]}" 2>&1)
[ -n "$out" ] && echo "$out" | head -n 40 | sed 's/^/# /'
tap "$([ -z "$out" ]; echo $?)" "shellcheck clean on ${#sh[@]} scripts"

missing=$(git ls-files -co --exclude-standard '*.c' '*.h' '*.sh' 'Kbuild' '*/Kbuild' 'Makefile' '*/Makefile' |
	  while read -r f; do [ -f "$f" ] && ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier' && echo "$f"; done)
[ -n "$missing" ] && sed 's/^/# no SPDX: /' <<< "$missing"
tap "$([ -z "$missing" ]; echo $?)" "SPDX line in every source file"
echo "1..$n"
exit "$failed"
