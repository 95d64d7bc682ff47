// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev parents: the devices vendor drivers register to host mdevs, and the mdev_bus class
 * that lists them (/sys/class/mdev_bus/<parent>, a compatibility link to the device).
 *
 * Lifetime: the vendor owns struct mdev_parent (usually embedded in its own structure)
 * and keeps a reference on parent->dev from mdev_register_parent() until after
 * mdev_unregister_parent(). Registration publishes the types, then the class link, then
 * a KOBJ_CHANGE uevent with MDEV_STATE=registered on the parent device (what mdevctl's
 * udev rule waits for); unregistration removes every mdev first and ends with
 * MDEV_STATE=unregistered.
 * Locking: parent->unreg_sem, held for write while unregistering, turns away concurrent
 * creations and removals (device.c).
 *
 * The includes of this file are part of the ABI: the modversions CRCs of
 * mdev_register_parent() and mdev_unregister_parent() are computed from the structure
 * definitions visible here, and must equal the stock kernel's.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/mdev.h>

#include "mdev_private.h"

static struct class_compat *mdev_bus_class;

static void mdev_parent_uevent(struct mdev_parent *parent, char *state)
{
	char *envp[2] = { state, NULL };

	kobject_uevent_env(&parent->dev->kobj, KOBJ_CHANGE, envp);
}

/**
 * mdev_register_parent() - make @dev a parent of mdevs of the given types
 * @parent: the vendor's parent structure; initialised here
 * @dev: the device the mdevs hang off; the caller holds a reference on it until after
 *	mdev_unregister_parent()
 * @mdev_driver: the driver every mdev of @parent is bound to
 * @types: the supported types; each has sysfs_name (and optionally pretty_name) set
 * @nr_types: number of entries in @types
 *
 * Creates <dev>/mdev_supported_types/<driver>-<type>/ for each type and the link
 * /sys/class/mdev_bus/<dev>, then sends a MDEV_STATE=registered change uevent.
 *
 * Return: 0 or an errno, with nothing left behind.
 */
int mdev_register_parent(struct mdev_parent *parent, struct device *dev,
			 struct mdev_driver *mdev_driver, struct mdev_type **types,
			 unsigned int nr_types)
{
	int ret;

	memset(parent, 0, sizeof(*parent));
	init_rwsem(&parent->unreg_sem);
	parent->dev = dev;
	parent->mdev_driver = mdev_driver;
	parent->types = types;
	parent->nr_types = nr_types;
	atomic_set(&parent->available_instances, mdev_driver->max_instances);

	ret = mdev_types_add(parent);
	if (ret)
		return ret;

	/* Only a convenience for finding parents: not worth failing for */
	if (class_compat_create_link(mdev_bus_class, dev, NULL))
		dev_warn(dev, "mdev: no link in /sys/class/mdev_bus\n");

	dev_info(dev, "mdev: parent registered, %u type(s)\n", nr_types);
	mdev_parent_uevent(parent, "MDEV_STATE=registered");
	return 0;
}
EXPORT_SYMBOL(mdev_register_parent);

/**
 * mdev_unregister_parent() - undo mdev_register_parent()
 * @parent: a registered parent
 *
 * Removes every mdev of @parent (waiting for their vendor driver to let them go), the
 * types and the class link, forgets the types' single_usage_restriction declarations,
 * then sends a MDEV_STATE=unregistered change uevent. Creations and removals racing with
 * it fail with -ENODEV.
 */
void mdev_unregister_parent(struct mdev_parent *parent)
{
	unsigned int i;

	dev_info(parent->dev, "mdev: unregistering parent\n");

	down_write(&parent->unreg_sem);
	class_compat_remove_link(mdev_bus_class, parent->dev, NULL);
	mdev_device_remove_all(parent);
	mdev_types_remove(parent);
	up_write(&parent->unreg_sem);

	for (i = 0; i < parent->nr_types; i++)
		mdev_usage_forget(parent->types[i]);

	mdev_parent_uevent(parent, "MDEV_STATE=unregistered");
}
EXPORT_SYMBOL(mdev_unregister_parent);

int mdev_parents_init(void)
{
	mdev_bus_class = class_compat_register("mdev_bus");
	return mdev_bus_class ? 0 : -ENOMEM;
}

void mdev_parents_exit(void)
{
	class_compat_unregister(mdev_bus_class);
}
