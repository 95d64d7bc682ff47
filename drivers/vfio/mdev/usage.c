// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_usage_restriction: the type flag a vendor driver declares with
 * mdev_type_set_single_usage(), its sysfs attribute, and the VFIO usage policy that
 * enforces it (see include/linux/vfio_usage.h).
 *
 * The stock struct mdev_type cannot grow, so declarations are kept in a side table keyed
 * by the type pointer: a type has the attribute iff it has an entry, and is restricted iff
 * its entry says so. A declaration lasts until mdev_unregister_parent() of the type's
 * parent (mdev_usage_forget()); it may be made before or after mdev_register_parent().
 *
 * The policy is registered with the VFIO core while at least one type is restricted.
 * vfio_register_usage_policy() is reached with symbol_get(), so mdev.ko also loads on a
 * VFIO core without it (then the attribute is shown but not enforced, and dmesg says so).
 * The symbol reference pins vfio.ko only while a restricted type exists, whose vendor
 * driver depends on vfio.ko anyway.
 *
 * Locking: mdev_usage_lock (mutex) serialises declarations and the policy's registration.
 * mdev_usage_table_lock (spinlock) protects the table; it is the only lock taken by the
 * policy callback, which the VFIO core calls under its own locks.
 * Lock order: mdev_usage_lock -> VFIO core locks; mdev_usage_lock -> mdev_usage_table_lock.
 */
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/sysfs.h>
#include <linux/vfio_usage.h>

#include "mdev_private.h"

struct mdev_usage_entry {
	struct hlist_node node;
	struct mdev_type *type;
	bool restricted;
};

static DEFINE_MUTEX(mdev_usage_lock);
static DEFINE_SPINLOCK(mdev_usage_table_lock);
static DEFINE_HASHTABLE(mdev_usage_table, 4);	/* protected by both locks for writes */
static unsigned int mdev_usage_nr_restricted;	/* protected by mdev_usage_lock */
static bool mdev_usage_policy_registered;	/* protected by mdev_usage_lock */

static struct mdev_usage_entry *mdev_usage_find(struct mdev_type *type)
{
	struct mdev_usage_entry *entry;

	lockdep_assert_held(&mdev_usage_table_lock);
	hash_for_each_possible(mdev_usage_table, entry, node, (unsigned long)type)
		if (entry->type == type)
			return entry;
	return NULL;
}

/* Returns 1 for a restricted type, 0 for a declared unrestricted one, -ENOENT otherwise. */
static int mdev_usage_lookup(struct mdev_type *type)
{
	struct mdev_usage_entry *entry;
	int ret = -ENOENT;

	spin_lock(&mdev_usage_table_lock);
	entry = mdev_usage_find(type);
	if (entry)
		ret = entry->restricted;
	spin_unlock(&mdev_usage_table_lock);
	return ret;
}

/* The VFIO core's question: two open devices with the same key may not share a container. */
static const void *mdev_usage_key(struct device *dev)
{
	struct mdev_type *type;

	if (dev->bus != &mdev_bus_type)
		return NULL;
	type = to_mdev_device(dev)->type;
	return mdev_usage_lookup(type) > 0 ? type : NULL;
}

static const struct vfio_usage_policy mdev_usage_policy = {
	.owner = THIS_MODULE,
	.single_usage_key = mdev_usage_key,
};

static void mdev_usage_policy_register(void)
{
	int (*reg)(const struct vfio_usage_policy *policy);
	int ret;

	lockdep_assert_held(&mdev_usage_lock);
	/* Taken first, kept until mdev_usage_policy_unregister(): pins vfio.ko meanwhile */
	if (!symbol_get(vfio_unregister_usage_policy)) {
		pr_warn("mdev: the VFIO core cannot enforce single_usage_restriction (no vfio_register_usage_policy)\n");
		return;
	}
	reg = symbol_get(vfio_register_usage_policy);
	ret = reg ? reg(&mdev_usage_policy) : -ENOENT;
	if (reg)
		symbol_put(vfio_register_usage_policy);
	if (ret) {
		pr_warn("mdev: single_usage_restriction not enforced: vfio_register_usage_policy() failed (%d)\n",
			ret);
		symbol_put(vfio_unregister_usage_policy);
		return;
	}
	mdev_usage_policy_registered = true;
}

static void mdev_usage_policy_unregister(void)
{
	void (*unreg)(const struct vfio_usage_policy *policy);

	lockdep_assert_held(&mdev_usage_lock);
	if (!mdev_usage_policy_registered)
		return;
	/* The reference taken in mdev_usage_policy_register() keeps this valid */
	unreg = symbol_get(vfio_unregister_usage_policy);
	unreg(&mdev_usage_policy);
	symbol_put(vfio_unregister_usage_policy);
	symbol_put(vfio_unregister_usage_policy);
	mdev_usage_policy_registered = false;
}

/* Keeps the policy registered while at least one type is restricted. */
static void mdev_usage_count(bool was_restricted, bool restricted)
{
	lockdep_assert_held(&mdev_usage_lock);
	if (restricted == was_restricted)
		return;
	if (restricted && !mdev_usage_nr_restricted++)
		mdev_usage_policy_register();
	if (!restricted && !--mdev_usage_nr_restricted)
		mdev_usage_policy_unregister();
}

static int mdev_usage_declare(struct mdev_type *type, bool restricted)
{
	struct mdev_usage_entry *entry, *new;
	bool was_restricted = false;

	lockdep_assert_held(&mdev_usage_lock);
	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	new->type = type;

	spin_lock(&mdev_usage_table_lock);
	entry = mdev_usage_find(type);
	if (entry) {
		was_restricted = entry->restricted;
	} else {
		entry = new;
		new = NULL;
		hash_add(mdev_usage_table, &entry->node, (unsigned long)type);
	}
	entry->restricted = restricted;
	spin_unlock(&mdev_usage_table_lock);

	kfree(new);
	mdev_usage_count(was_restricted, restricted);
	return 0;
}

/**
 * mdev_type_set_single_usage() - declare whether one user may hold several mdevs of @type
 * @type: a type of the caller, before or after mdev_register_parent() of its parent
 * @restricted: true if at most one mdev of @type may be open in one VFIO container
 *
 * A restricted type shows "Y" in its single_usage_restriction attribute (which types
 * never declared do not have), and the VFIO core refuses to open a second mdev of it into
 * a container that already has one open. The declaration lasts until
 * mdev_unregister_parent(); declaring false shows "N" and restricts nothing.
 *
 * Context: process context; the type's parent must not be unregistering concurrently.
 * Return: 0, -EINVAL for a NULL @type, or -ENOMEM.
 */
int mdev_type_set_single_usage(struct mdev_type *type, bool restricted)
{
	int ret = 0;

	if (!type)
		return -EINVAL;

	mutex_lock(&mdev_usage_lock);
	ret = mdev_usage_declare(type, restricted);
	/* A registered type shows the change at once */
	if (!ret && type->kobj.state_in_sysfs)
		ret = sysfs_update_group(&type->kobj, &mdev_usage_type_group);
	mutex_unlock(&mdev_usage_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(mdev_type_set_single_usage);

/**
 * mdev_usage_forget() - drop the declaration of @type
 * @type: a type whose parent is being unregistered
 */
void mdev_usage_forget(struct mdev_type *type)
{
	struct mdev_usage_entry *entry;

	mutex_lock(&mdev_usage_lock);
	spin_lock(&mdev_usage_table_lock);
	entry = mdev_usage_find(type);
	if (entry)
		hash_del(&entry->node);
	spin_unlock(&mdev_usage_table_lock);
	if (entry)
		mdev_usage_count(entry->restricted, false);
	mutex_unlock(&mdev_usage_lock);
	kfree(entry);
}

static ssize_t single_usage_restriction_show(struct mdev_type *type, char *buf)
{
	return sysfs_emit(buf, "%c\n", mdev_usage_lookup(type) > 0 ? 'Y' : 'N');
}

static struct mdev_type_attribute mdev_type_attr_single_usage_restriction =
	__ATTR_RO(single_usage_restriction);

static struct attribute *mdev_usage_type_attrs[] = {
	&mdev_type_attr_single_usage_restriction.attr,
	NULL,
};

static umode_t mdev_usage_attr_is_visible(struct kobject *kobj, struct attribute *attr,
					  int n)
{
	struct mdev_type *type = container_of(kobj, struct mdev_type, kobj);

	return mdev_usage_lookup(type) < 0 ? 0 : attr->mode;
}

const struct attribute_group mdev_usage_type_group = {
	.attrs = mdev_usage_type_attrs,
	.is_visible = mdev_usage_attr_is_visible,
};
