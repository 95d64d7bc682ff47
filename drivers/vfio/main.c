// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio.ko: module init and exit. Each object sets up and tears down its own global state
 * (device.c the "vfio-dev" class, group.c the "vfio" class and /dev/vfio/N numbers,
 * container.c /dev/vfio/vfio); this file only orders them. Teardown is the reverse of setup,
 * and the module cannot be unloaded while any group, device or container exists (they
 * hold references through their fops' owner or their vendor driver's dependency).
 */
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/vfio.h>

#include "vfio_core.h"

static int __init vfio_init(void)
{
	int ret;

	ret = vfio_device_init_class();
	if (ret)
		return ret;
	ret = vfio_group_init();
	if (ret)
		goto err_device;
	ret = vfio_container_init();
	if (ret)
		goto err_group;
	return 0;

err_group:
	vfio_group_exit();
err_device:
	vfio_device_exit_class();
	return ret;
}

static void __exit vfio_exit(void)
{
	vfio_container_exit();
	vfio_group_exit();
	vfio_device_exit_class();
}

module_init(vfio_init);
module_exit(vfio_exit);

MODULE_LICENSE("GPL v2");
MODULE_DESCRIPTION("VFIO core: containers, groups and device files (vfio-stack)");
MODULE_ALIAS_MISCDEV(VFIO_MINOR);
MODULE_ALIAS("devname:vfio/vfio");
MODULE_SOFTDEP("post: vfio_iommu_type1");
