// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mdev bus and mdev drivers.
 *
 * A vendor driver registers one struct mdev_driver; the framework binds each new mdev to
 * its parent's driver explicitly (device.c), so the bus never matches on its own.
 * Lifetime: the bus exists from mdev_bus_init() to mdev_bus_exit(); drivers are
 * registered by vendor modules, which depend on mdev.ko and so unregister before it goes.
 *
 * The includes of this file are part of the ABI: the modversions CRCs of
 * mdev_register_driver() and mdev_unregister_driver() are computed from the structure
 * definitions visible here, and must equal the stock kernel's.
 */
#include <linux/iommu.h>
#include <linux/mdev.h>

#include "mdev_private.h"

static struct mdev_driver *to_mdev_driver(struct device_driver *drv)
{
	return container_of(drv, struct mdev_driver, driver);
}

static int mdev_bus_probe(struct device *dev)
{
	struct mdev_driver *drv = to_mdev_driver(dev->driver);

	return drv->probe ? drv->probe(to_mdev_device(dev)) : 0;
}

static void mdev_bus_remove(struct device *dev)
{
	struct mdev_driver *drv = to_mdev_driver(dev->driver);

	if (drv->remove)
		drv->remove(to_mdev_device(dev));
}

/* Binding is explicit: device.c attaches each mdev to its parent's driver. */
static int mdev_bus_match(struct device *dev, struct device_driver *drv)
{
	return 0;
}

struct bus_type mdev_bus_type = {
	.name = "mdev",
	.match = mdev_bus_match,
	.probe = mdev_bus_probe,
	.remove = mdev_bus_remove,
};

int mdev_bus_init(void)
{
	return bus_register(&mdev_bus_type);
}

void mdev_bus_exit(void)
{
	bus_unregister(&mdev_bus_type);
}

/**
 * mdev_register_driver() - register the driver that binds a vendor's mdevs
 * @drv: the driver; @drv->device_api is required
 *
 * Every mdev created on a parent registered with @drv is bound to it.
 *
 * Return: 0, -EINVAL without @drv->device_api, or the errno of driver_register().
 */
int mdev_register_driver(struct mdev_driver *drv)
{
	if (!drv->device_api)
		return -EINVAL;

	drv->driver.bus = &mdev_bus_type;
	return driver_register(&drv->driver);
}
EXPORT_SYMBOL(mdev_register_driver);

/**
 * mdev_unregister_driver() - undo mdev_register_driver()
 * @drv: a driver registered with mdev_register_driver()
 *
 * Unbinds every mdev still bound to @drv.
 */
void mdev_unregister_driver(struct mdev_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL(mdev_unregister_driver);
