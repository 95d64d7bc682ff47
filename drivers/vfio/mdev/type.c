// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev types: one directory per type under <parent>/mdev_supported_types/, named
 * "<driver>-<type->sysfs_name>", with name, description, device_api,
 * available_instances, create and devices/ (plus usage.c's single_usage_restriction).
 *
 * Lifetime: the vendor owns the struct mdev_type memory; its kobject lives from
 * mdev_types_add() until the last of the registration and the type's mdevs drops it, and
 * holds a reference on the parent's device (dropped in mdev_type_release()).
 * Locking: none of its own; attributes only read what registration set up, and "create"
 * defers to device.c.
 */
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/uuid.h>

#include "mdev_private.h"

static struct mdev_type *to_mdev_type(struct kobject *kobj)
{
	return container_of(kobj, struct mdev_type, kobj);
}

static struct mdev_type_attribute *to_mdev_type_attr(struct attribute *attr)
{
	return container_of(attr, struct mdev_type_attribute, attr);
}

static ssize_t mdev_type_attr_show(struct kobject *kobj, struct attribute *attr,
				   char *buf)
{
	struct mdev_type_attribute *tattr = to_mdev_type_attr(attr);

	if (!tattr->show)
		return -EIO;
	return tattr->show(to_mdev_type(kobj), buf);
}

static ssize_t mdev_type_attr_store(struct kobject *kobj, struct attribute *attr,
				    const char *buf, size_t count)
{
	struct mdev_type_attribute *tattr = to_mdev_type_attr(attr);

	if (!tattr->store)
		return -EIO;
	return tattr->store(to_mdev_type(kobj), buf, count);
}

static const struct sysfs_ops mdev_type_sysfs_ops = {
	.show = mdev_type_attr_show,
	.store = mdev_type_attr_store,
};

/*
 * Accepts the 36 characters of a UUID in any case, optionally followed by one more
 * character (the newline of echo; like the stock kernel, any character is accepted there).
 */
static int mdev_type_parse_uuid(const char *buf, size_t count, guid_t *uuid)
{
	char *str;
	int ret;

	if (count < UUID_STRING_LEN || count > UUID_STRING_LEN + 1)
		return -EINVAL;

	str = kstrndup(buf, count, GFP_KERNEL);
	if (!str)
		return -ENOMEM;
	ret = guid_parse(str, uuid);
	kfree(str);
	return ret;
}

static ssize_t create_store(struct mdev_type *type, const char *buf, size_t count)
{
	guid_t uuid;
	int ret;

	ret = mdev_type_parse_uuid(buf, count, &uuid);
	if (ret)
		return ret;

	ret = mdev_device_create(type, &uuid);
	return ret ? ret : count;
}

static ssize_t device_api_show(struct mdev_type *type, char *buf)
{
	return sysfs_emit(buf, "%s\n", type->parent->mdev_driver->device_api);
}

static ssize_t name_show(struct mdev_type *type, char *buf)
{
	return sysfs_emit(buf, "%s\n", type->pretty_name ?: type->sysfs_name);
}

static ssize_t available_instances_show(struct mdev_type *type, char *buf)
{
	struct mdev_parent *parent = type->parent;
	unsigned int avail;

	if (parent->mdev_driver->get_available)
		avail = parent->mdev_driver->get_available(type);
	else
		avail = atomic_read(&parent->available_instances);
	return sysfs_emit(buf, "%u\n", avail);
}

static ssize_t description_show(struct mdev_type *type, char *buf)
{
	return type->parent->mdev_driver->show_description(type, buf);
}

static struct mdev_type_attribute mdev_type_attr_create = __ATTR_WO(create);
static struct mdev_type_attribute mdev_type_attr_device_api = __ATTR_RO(device_api);
static struct mdev_type_attribute mdev_type_attr_name = __ATTR_RO(name);
static struct mdev_type_attribute mdev_type_attr_available_instances =
	__ATTR_RO(available_instances);
static struct mdev_type_attribute mdev_type_attr_description = __ATTR_RO(description);

static struct attribute *mdev_type_attrs[] = {
	&mdev_type_attr_create.attr,
	&mdev_type_attr_device_api.attr,
	&mdev_type_attr_name.attr,
	&mdev_type_attr_available_instances.attr,
	&mdev_type_attr_description.attr,
	NULL,
};

/* "description" exists only when the driver can describe its types. */
static umode_t mdev_type_attr_is_visible(struct kobject *kobj, struct attribute *attr,
					 int n)
{
	struct mdev_driver *drv = to_mdev_type(kobj)->parent->mdev_driver;

	if (attr == &mdev_type_attr_description.attr && !drv->show_description)
		return 0;
	return attr->mode;
}

static const struct attribute_group mdev_type_group = {
	.attrs = mdev_type_attrs,
	.is_visible = mdev_type_attr_is_visible,
};

static const struct attribute_group *mdev_type_groups[] = {
	&mdev_type_group,
	&mdev_usage_type_group,
	NULL,
};

static void mdev_type_release(struct kobject *kobj)
{
	/* Pairs with the get in mdev_type_add() */
	put_device(to_mdev_type(kobj)->parent->dev);
}

static const struct kobj_type mdev_type_ktype = {
	.sysfs_ops = &mdev_type_sysfs_ops,
	.release = mdev_type_release,
	.default_groups = mdev_type_groups,
};

static int mdev_type_add(struct mdev_parent *parent, struct mdev_type *type)
{
	int ret;

	type->parent = parent;
	type->kobj.kset = parent->mdev_types_kset;
	/* Pairs with the put in mdev_type_release() */
	get_device(parent->dev);

	ret = kobject_init_and_add(&type->kobj, &mdev_type_ktype, NULL, "%s-%s",
				   dev_driver_string(parent->dev), type->sysfs_name);
	if (ret)
		goto err_put;

	type->devices_kobj = kobject_create_and_add("devices", &type->kobj);
	if (!type->devices_kobj) {
		ret = -ENOMEM;
		goto err_del;
	}
	return 0;

err_del:
	kobject_del(&type->kobj);
err_put:
	kobject_put(&type->kobj);
	return ret;
}

static void mdev_type_remove(struct mdev_type *type)
{
	kobject_put(type->devices_kobj);
	kobject_del(&type->kobj);
	kobject_put(&type->kobj);
}

/**
 * mdev_types_add() - create the mdev_supported_types directory of @parent
 * @parent: a parent being registered; its dev, mdev_driver and types are set
 *
 * Return: 0 or an errno, with nothing left behind.
 */
int mdev_types_add(struct mdev_parent *parent)
{
	unsigned int i;
	int ret;

	parent->mdev_types_kset = kset_create_and_add("mdev_supported_types", NULL,
						      &parent->dev->kobj);
	if (!parent->mdev_types_kset)
		return -ENOMEM;

	for (i = 0; i < parent->nr_types; i++) {
		ret = mdev_type_add(parent, parent->types[i]);
		if (ret)
			goto err_remove_types;
	}
	return 0;

err_remove_types:
	while (i--)
		mdev_type_remove(parent->types[i]);
	kset_unregister(parent->mdev_types_kset);
	return ret;
}

/**
 * mdev_types_remove() - undo mdev_types_add()
 * @parent: a parent without mdevs
 */
void mdev_types_remove(struct mdev_parent *parent)
{
	unsigned int i;

	for (i = 0; i < parent->nr_types; i++)
		mdev_type_remove(parent->types[i]);
	kset_unregister(parent->mdev_types_kset);
}
