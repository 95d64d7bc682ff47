// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev.ko: the mediated device framework.
 *
 * A drop-in for the stock mdev module with the in-kernel API of include/linux/mdev.h
 * (same exported symbols, same modversions CRCs) and the mdev sysfs ABI, plus the
 * single_usage_restriction extension of include/linux/vfio_usage.h.
 * Lifetime: the bus and the mdev_bus class exist while the module is loaded; vendor
 * drivers depend on this module, so no parent outlives it.
 */
#include <linux/module.h>

#include "mdev_private.h"

static int __init mdev_init(void)
{
	int ret;

	ret = mdev_bus_init();
	if (ret)
		return ret;

	ret = mdev_parents_init();
	if (ret)
		goto err_bus_exit;
	return 0;

err_bus_exit:
	mdev_bus_exit();
	return ret;
}

static void __exit mdev_exit(void)
{
	mdev_parents_exit();
	mdev_bus_exit();
}

module_init(mdev_init);
module_exit(mdev_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Mediated device framework");
