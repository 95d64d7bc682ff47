// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev_su_test: a minimal vendor driver for the mdev selftests. One parent,
 * /sys/class/mdev_su_test/mdev_su_test, with three types:
 *   restricted  declared single-usage before mdev_register_parent()
 *   shared      declared not restricted after mdev_register_parent()
 *   plain       never declared (like every stock driver)
 * Each mdev is an emulated-IOMMU VFIO device that can be opened and nothing more.
 *
 * mdev_type_set_single_usage() is reached with symbol_get(), as a vendor driver that
 * must also load on the stock mdev would; without it the module still loads and the
 * types stay undeclared. Lifetime: the parent lives from init to exit; each mdev's
 * vfio_device from probe to the last put after remove.
 */
#include <linux/device.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/vfio.h>
#include <linux/vfio_usage.h>

#define SU_NAME "mdev_su_test"
#define SU_MAX_INSTANCES 8

struct su_state {
	struct vfio_device vdev;
};

static struct class *su_class;
static struct device *su_dev;
static struct mdev_parent su_parent;
static struct mdev_type su_types[] = {
	{ .sysfs_name = "restricted", .pretty_name = "single-usage type" },
	{ .sysfs_name = "shared", .pretty_name = "declared shareable type" },
	{ .sysfs_name = "plain", .pretty_name = "undeclared type" },
};

static struct mdev_type *su_type_list[] = { &su_types[0], &su_types[1], &su_types[2] };

static int su_open_device(struct vfio_device *vdev)
{
	return 0;
}

static void su_release(struct vfio_device *vdev)
{
	vfio_free_device(vdev);
}

static const struct vfio_device_ops su_dev_ops = {
	.name = SU_NAME,
	.open_device = su_open_device,
	.release = su_release,
};

static int su_probe(struct mdev_device *mdev)
{
	struct su_state *state;
	int ret;

	state = vfio_alloc_device(su_state, vdev, &mdev->dev, &su_dev_ops);
	if (IS_ERR(state))
		return PTR_ERR(state);

	ret = vfio_register_emulated_iommu_dev(&state->vdev);
	if (ret)
		goto err_put;
	dev_set_drvdata(&mdev->dev, state);
	return 0;

err_put:
	vfio_put_device(&state->vdev);
	return ret;
}

static void su_remove(struct mdev_device *mdev)
{
	struct su_state *state = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&state->vdev);
	vfio_put_device(&state->vdev);
}

static struct mdev_driver su_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.max_instances = SU_MAX_INSTANCES,
	.probe = su_probe,
	.remove = su_remove,
	.driver = {
		.name = SU_NAME,
		.owner = THIS_MODULE,
	},
};

/* Declares @type; a stock mdev without the extension leaves it undeclared. */
static int su_declare(struct mdev_type *type, bool restricted)
{
	int (*declare)(struct mdev_type *type, bool restricted);
	int ret;

	declare = symbol_get(mdev_type_set_single_usage);
	if (!declare)
		return 0;
	ret = declare(type, restricted);
	symbol_put(mdev_type_set_single_usage);
	return ret;
}

static int __init su_init(void)
{
	int ret;

	ret = mdev_register_driver(&su_driver);
	if (ret)
		return ret;

	su_class = class_create(THIS_MODULE, SU_NAME);
	if (IS_ERR(su_class)) {
		ret = PTR_ERR(su_class);
		goto err_driver;
	}
	su_dev = device_create(su_class, NULL, 0, NULL, SU_NAME);
	if (IS_ERR(su_dev)) {
		ret = PTR_ERR(su_dev);
		goto err_class;
	}

	ret = su_declare(&su_types[0], true);
	if (ret)
		goto err_device;
	ret = mdev_register_parent(&su_parent, su_dev, &su_driver, su_type_list,
				   ARRAY_SIZE(su_type_list));
	if (ret)
		goto err_device;
	ret = su_declare(&su_types[1], false);
	if (ret)
		goto err_parent;
	return 0;

err_parent:
	mdev_unregister_parent(&su_parent);
err_device:
	device_destroy(su_class, 0);
err_class:
	class_destroy(su_class);
err_driver:
	mdev_unregister_driver(&su_driver);
	return ret;
}

static void __exit su_exit(void)
{
	mdev_unregister_parent(&su_parent);
	device_destroy(su_class, 0);
	class_destroy(su_class);
	mdev_unregister_driver(&su_driver);
}

module_init(su_init);
module_exit(su_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mdev selftest vendor driver (single_usage_restriction)");
