// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one definition of each global kshim.h declares, and main(): it runs the
 * module's init as a module load would and, when the load succeeds, its exit as
 * an unload would. The exit status is 1 when init fails.
 */
#include "kshim.h"

struct page *shim_page_hash[SHIM_PAGE_BUCKETS];

/* SME: the kernel's mask, zero here as on a machine without SME */
u64 sme_me_mask;

int main(void)
{
	if (shim_module_init())
		return 1;
	shim_module_exit();
	return 0;
}
