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

echo "TAP version 13"
mapfile -t cfiles < <(git ls-files -co --exclude-standard '*.c' '*.h' | grep -v '^tools/testing/selftests/.*/kselftest')
out=$(make -s checkpatch FILES="${cfiles[*]}" 2>&1 | grep -E '^[^ ]+:[0-9]+: (ERROR|WARNING):')
[ -n "$out" ] && echo "$out" | head -n 60 | sed 's/^/# /'
tap "$([ -z "$out" ] && [ ${#cfiles[@]} -gt 0 ]; echo $?)" "checkpatch clean on ${#cfiles[@]} C files"

mapfile -t sh < <(git ls-files -co --exclude-standard | while read -r f; do
	[ -f "$f" ] && head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f"
done)
out=$(shellcheck "${sh[@]}" 2>&1)
[ -n "$out" ] && echo "$out" | head -n 40 | sed 's/^/# /'
tap "$([ -z "$out" ]; echo $?)" "shellcheck clean on ${#sh[@]} scripts"

missing=$(git ls-files -co --exclude-standard '*.c' '*.h' '*.sh' 'Kbuild' '*/Kbuild' 'Makefile' '*/Makefile' |
	  while read -r f; do [ -f "$f" ] && ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier' && echo "$f"; done)
[ -n "$missing" ] && sed 's/^/# no SPDX: /' <<< "$missing"
tap "$([ -z "$missing" ]; echo $?)" "SPDX line in every source file"
echo "1..$n"
exit "$failed"
