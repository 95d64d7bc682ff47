#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The vGPU's nested-guest end to end on the ours stack (../vgpu/nested.sh, relayed by
# ../vgpu/run.sh), in a VM of its own: when a nested guest under TCG takes that VM down,
# tools/testing/check runs just this part again, not the whole vGPU suite nor the other
# stack's half (vgpu_nested_stock).
exec "$(dirname "$0")/../vgpu/run.sh" nested ours
