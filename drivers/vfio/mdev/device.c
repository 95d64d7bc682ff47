// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mediated devices: creation, removal and release, the "remove" attribute and the links
 * between an mdev and its type (<type>/devices/<uuid> and <uuid>/mdev_type).
 *
 * Invariants: a UUID names at most one mdev system-wide; every mdev is in mdev_uuids, a
 * tree sorted by UUID, from creation to release (so creation does not slow down with the
 * number of mdevs). When the parent's driver has no get_available(), each mdev holds one
 * of the parent's available_instances from creation to release. An mdev is allocated
 * inside a struct mdev_entry, which holds its tree node: drivers see the stock struct
 * mdev_device, whose layout is the target kernel's (its list head @next is not used).
 *
 * Lifetime: an mdev is published by device_add() and bound to its parent's driver; it
 * holds a reference on its type's kobject (dropped in release). It is removed by writing
 * "remove" or by the parent's unregistration, and freed when its last reference goes.
 *
 * Locking: mdev_lock protects mdev_uuids, mdev->active and the parent's
 * available_instances. parent->unreg_sem is held for read while an mdev is being
 * created or removed and for write while the parent unregisters; creation and removal
 * only try it, so they fail with -ENODEV instead of waiting for an unregistration.
 * Lock order: parent->unreg_sem -> mdev_lock.
 */
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "mdev_private.h"

struct mdev_entry {
	struct mdev_device mdev;
	struct rb_node uuid_node;
};

static struct rb_root mdev_uuids = RB_ROOT;
static DEFINE_MUTEX(mdev_lock);

static struct mdev_entry *to_mdev_entry(struct mdev_device *mdev)
{
	return container_of(mdev, struct mdev_entry, mdev);
}

static bool mdev_counts_instances(struct mdev_parent *parent)
{
	return !parent->mdev_driver->get_available;
}

static int mdev_uuid_cmp(struct rb_node *a, const struct rb_node *b)
{
	return memcmp(&rb_entry(a, struct mdev_entry, uuid_node)->mdev.uuid,
		      &rb_entry(b, struct mdev_entry, uuid_node)->mdev.uuid, sizeof(guid_t));
}

/* Claims the UUID and, where the core counts them, one instance. */
static int mdev_claim_uuid(struct mdev_device *mdev)
{
	struct mdev_parent *parent = mdev->type->parent;
	struct rb_node *node = &to_mdev_entry(mdev)->uuid_node;
	int ret = 0;

	mutex_lock(&mdev_lock);
	if (rb_find_add(node, &mdev_uuids, mdev_uuid_cmp)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (mdev_counts_instances(parent)) {
		if (!atomic_read(&parent->available_instances)) {
			rb_erase(node, &mdev_uuids);
			ret = -EUSERS;
			goto out_unlock;
		}
		atomic_dec(&parent->available_instances);
	}
out_unlock:
	mutex_unlock(&mdev_lock);
	return ret;
}

static void mdev_device_release(struct device *dev)
{
	struct mdev_device *mdev = to_mdev_device(dev);
	struct mdev_type *type = mdev->type;

	mutex_lock(&mdev_lock);
	rb_erase(&to_mdev_entry(mdev)->uuid_node, &mdev_uuids);
	if (mdev_counts_instances(type->parent))
		atomic_inc(&type->parent->available_instances);
	mutex_unlock(&mdev_lock);

	/* Pairs with the get in mdev_device_create() */
	kobject_put(&type->kobj);
	kfree(to_mdev_entry(mdev));
}

static int mdev_device_link(struct mdev_device *mdev)
{
	struct mdev_type *type = mdev->type;
	int ret;

	ret = sysfs_create_link(type->devices_kobj, &mdev->dev.kobj,
				dev_name(&mdev->dev));
	if (ret)
		return ret;

	ret = sysfs_create_link(&mdev->dev.kobj, &type->kobj, "mdev_type");
	if (ret)
		goto err_remove_devices_link;
	return 0;

err_remove_devices_link:
	sysfs_remove_link(type->devices_kobj, dev_name(&mdev->dev));
	return ret;
}

static void mdev_device_unlink(struct mdev_device *mdev)
{
	sysfs_remove_link(&mdev->dev.kobj, "mdev_type");
	sysfs_remove_link(mdev->type->devices_kobj, dev_name(&mdev->dev));
}

/* Unpublishes @mdev and drops the reference taken by device_initialize(). */
static void mdev_device_del(struct mdev_device *mdev)
{
	lockdep_assert_held(&mdev->type->parent->unreg_sem);

	mdev_device_unlink(mdev);
	device_del(&mdev->dev);
	put_device(&mdev->dev);
}

static ssize_t remove_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count);
static DEVICE_ATTR_WO(remove);

static struct attribute *mdev_device_attrs[] = {
	&dev_attr_remove.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mdev_device);

/* Publishes @mdev under its parent, bound to the parent's driver. */
static int mdev_device_add(struct mdev_device *mdev)
{
	struct mdev_parent *parent = mdev->type->parent;
	int ret;

	if (!down_read_trylock(&parent->unreg_sem))
		return -ENODEV;

	ret = device_add(&mdev->dev);
	if (ret)
		goto out_unlock;

	ret = device_driver_attach(&parent->mdev_driver->driver, &mdev->dev);
	if (ret)
		goto err_del;

	ret = mdev_device_link(mdev);
	if (ret)
		goto err_del;

	mutex_lock(&mdev_lock);
	mdev->active = true;
	mutex_unlock(&mdev_lock);
	goto out_unlock;

err_del:
	device_del(&mdev->dev);
out_unlock:
	up_read(&parent->unreg_sem);
	return ret;
}

/**
 * mdev_device_create() - create, publish and bind one mdev of @type
 * @type: a registered type
 * @uuid: the new mdev's UUID, also its device name
 *
 * Return: 0, -EEXIST if an mdev named @uuid exists, -EUSERS if the parent has no
 * instance left, -ENODEV if the parent is unregistering, or the errno of the vendor's
 * probe.
 */
int mdev_device_create(struct mdev_type *type, const guid_t *uuid)
{
	struct mdev_entry *entry;
	struct mdev_device *mdev;
	int ret;

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return -ENOMEM;
	mdev = &entry->mdev;
	mdev->type = type;
	guid_copy(&mdev->uuid, uuid);

	ret = mdev_claim_uuid(mdev);
	if (ret) {
		kfree(entry);
		return ret;
	}

	/* From here on mdev_device_release() undoes the insertion. */
	device_initialize(&mdev->dev);
	mdev->dev.parent = type->parent->dev;
	mdev->dev.bus = &mdev_bus_type;
	mdev->dev.release = mdev_device_release;
	mdev->dev.groups = mdev_device_groups;
	/* Pairs with the put in mdev_device_release() */
	kobject_get(&type->kobj);

	ret = dev_set_name(&mdev->dev, "%pUl", uuid);
	if (ret)
		goto err_put;

	ret = mdev_device_add(mdev);
	if (ret)
		goto err_put;
	dev_dbg(&mdev->dev, "created, type %s\n", kobject_name(&type->kobj));
	return 0;

err_put:
	put_device(&mdev->dev);
	return ret;
}

/*
 * Marks @mdev as being removed; only the first caller may go on. Called with
 * parent->unreg_sem held, so an mdev that is not active is either still being created or
 * was removed by a finished unregistration of its parent.
 */
static int mdev_device_claim_removal(struct mdev_device *mdev)
{
	int ret = 0;

	mutex_lock(&mdev_lock);
	if (mdev->active)
		mdev->active = false;
	else
		ret = device_is_registered(&mdev->dev) ? -EAGAIN : -ENODEV;
	mutex_unlock(&mdev_lock);
	return ret;
}

static int mdev_device_remove(struct mdev_device *mdev)
{
	struct mdev_parent *parent = mdev->type->parent;
	int ret;

	if (!down_read_trylock(&parent->unreg_sem))
		return -ENODEV;
	ret = mdev_device_claim_removal(mdev);
	if (!ret)
		mdev_device_del(mdev);
	up_read(&parent->unreg_sem);
	return ret;
}

static bool mdev_device_is_active(struct mdev_device *mdev)
{
	bool active;

	mutex_lock(&mdev_lock);
	active = mdev->active;
	mutex_unlock(&mdev_lock);
	return active;
}

/*
 * Writing a non-zero number removes the mdev; zero is accepted and does nothing. Once the
 * file removed itself, a concurrent writer that lost the race just returns @count.
 *
 * An mdev still being created answers -EAGAIN like the stock kernel, but keeps its
 * "remove" file: the stock kernel removes the file first and so leaves such an mdev
 * without one until its parent goes.
 */
static ssize_t remove_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	unsigned long val;
	int ret = 0;

	if (kstrtoul(buf, 0, &val) < 0)
		return -EINVAL;
	if (!val)
		return count;
	if (!mdev_device_is_active(to_mdev_device(dev)))
		return -EAGAIN;

	/*
	 * While this file is active the device cannot be released; keep it alive past
	 * device_remove_file_self(), after which the parent may delete it concurrently.
	 */
	get_device(dev);
	if (device_remove_file_self(dev, attr))
		ret = mdev_device_remove(to_mdev_device(dev));
	put_device(dev);
	return ret ? ret : count;
}

static int mdev_device_remove_child(struct device *dev, void *unused)
{
	struct mdev_device *mdev;

	if (dev->bus != &mdev_bus_type)
		return 0;
	mdev = to_mdev_device(dev);

	mutex_lock(&mdev_lock);
	mdev->active = false;
	mutex_unlock(&mdev_lock);

	mdev_device_del(mdev);
	return 0;
}

/**
 * mdev_device_remove_all() - remove every mdev of @parent
 * @parent: a parent whose unregistration holds @parent->unreg_sem for write
 */
void mdev_device_remove_all(struct mdev_parent *parent)
{
	lockdep_assert_held_write(&parent->unreg_sem);
	device_for_each_child(parent->dev, NULL, mdev_device_remove_child);
}
