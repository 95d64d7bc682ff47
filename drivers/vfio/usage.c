// SPDX-License-Identifier: GPL-2.0-only
/*
 * The single-usage policy (include/linux/vfio_usage.h): a registered policy names, for a
 * device, a key that no other device open in the same container may share. mdev.ko
 * registers one for types declared with single_usage_restriction.
 *
 * A device's claim is taken at its first open, before the driver's open_device(), and
 * dropped after its last close; claims are kept on container->usage.
 *
 * Locking: vfio_usage_lock protects vfio_usage_policy and is held around every call of
 * the policy, so unregistration waits for calls in flight. container->lock (write)
 * protects container->usage. Both nest inside group->lock and not in each other.
 */
#include <linux/device.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/vfio_usage.h>

#include "vfio_core.h"

struct vfio_usage_claim {
	struct list_head next;		/* in container->usage */
	struct vfio_device *device;
	const void *key;
};

static DEFINE_MUTEX(vfio_usage_lock);
static const struct vfio_usage_policy *vfio_usage_policy;

/**
 * vfio_register_usage_policy - install the single-usage policy
 * @policy: the policy; must stay valid until vfio_unregister_usage_policy()
 *
 * Return: 0, -EINVAL for a policy without a callback, or -EBUSY if a policy is
 * installed already.
 */
int vfio_register_usage_policy(const struct vfio_usage_policy *policy)
{
	int ret = 0;

	if (!policy->single_usage_key)
		return -EINVAL;

	mutex_lock(&vfio_usage_lock);
	if (vfio_usage_policy)
		ret = -EBUSY;
	else
		vfio_usage_policy = policy;
	mutex_unlock(&vfio_usage_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_register_usage_policy);

/**
 * vfio_unregister_usage_policy - remove the policy installed by vfio_register_usage_policy()
 * @policy: that policy
 *
 * Returns after any call of the policy in flight. Claims already taken stay until their
 * devices close, but no new ones are made.
 */
void vfio_unregister_usage_policy(const struct vfio_usage_policy *policy)
{
	mutex_lock(&vfio_usage_lock);
	if (vfio_usage_policy == policy)
		vfio_usage_policy = NULL;
	mutex_unlock(&vfio_usage_lock);
}
EXPORT_SYMBOL_GPL(vfio_unregister_usage_policy);

static const void *vfio_usage_key(struct vfio_device *device)
{
	const void *key = NULL;

	mutex_lock(&vfio_usage_lock);
	if (vfio_usage_policy)
		key = vfio_usage_policy->single_usage_key(device->dev);
	mutex_unlock(&vfio_usage_lock);
	return key;
}

static struct vfio_usage_claim *vfio_usage_find_key(struct vfio_container *container,
						    const void *key)
{
	struct vfio_usage_claim *claim;

	list_for_each_entry(claim, &container->usage, next)
		if (claim->key == key)
			return claim;
	return NULL;
}

/**
 * vfio_usage_claim - take a device's single-usage claim in its container
 * @container: the container the device is opened into
 * @device: the device, at its first open
 *
 * Return: 0, or -EBUSY (and a line in the kernel log) when a device with the same key is
 * open in @container, or -ENOMEM.
 */
int vfio_usage_claim(struct vfio_container *container, struct vfio_device *device)
{
	struct vfio_usage_claim *claim, *holder;
	const void *key;
	int ret = 0;

	key = vfio_usage_key(device);
	if (!key)
		return 0;

	claim = kzalloc(sizeof(*claim), GFP_KERNEL);
	if (!claim)
		return -ENOMEM;
	claim->device = device;
	claim->key = key;

	down_write(&container->lock);
	holder = vfio_usage_find_key(container, key);
	if (holder) {
		dev_warn(device->dev,
			 "single usage restriction: %s is in use by this VM (container) already; refusing a second device of its type\n",
			 dev_name(holder->device->dev));
		ret = -EBUSY;
	} else {
		list_add_tail(&claim->next, &container->usage);
	}
	up_write(&container->lock);
	if (ret)
		kfree(claim);
	return ret;
}

/**
 * vfio_usage_release - drop the claim vfio_usage_claim() took, if any
 * @container: the container
 * @device: the device, at its last close
 */
void vfio_usage_release(struct vfio_container *container, struct vfio_device *device)
{
	struct vfio_usage_claim *claim, *found = NULL;

	down_write(&container->lock);
	list_for_each_entry(claim, &container->usage, next) {
		if (claim->device == device) {
			list_del(&claim->next);
			found = claim;
			break;
		}
	}
	up_write(&container->lock);
	kfree(found);
}
