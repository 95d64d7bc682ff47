# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# TAP lines for the suites' own checks, sourced by their scripts. Two kinds:
#  - tap: numbered by the sourcing script's counter $n (which it sets to 0); a failure sets
#    its $failed to 1. For scripts that number every line themselves.
#  - tap_check: always "ok 1"/"not ok 1", like the harness programs' results it stands
#    among, and returns the check's status; for scripts that pass the harness's TAP on.

# tap STATUS NAME [SKIP-REASON]: the next numbered line; with a reason, a SKIP whatever STATUS
tap() {
	n=$((n + 1))
	if [ -n "${3:-}" ]; then
		echo "ok $n $2 # SKIP $3"
	elif [ "$1" -eq 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		# shellcheck disable=SC2034 # the sourcing script reads it
		failed=1
	fi
}

# tap_check STATUS NAME...: one line for a check's exit status, which it returns
tap_check() {
	local rc=$1
	shift
	if [ "$rc" -eq 0 ]; then
		echo "ok 1 $*"
	else
		echo "not ok 1 $*"
	fi
	return "$rc"
}
