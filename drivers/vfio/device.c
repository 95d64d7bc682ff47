// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct vfio_device: allocation, registration with its group, unregistration, and device
 * sets.
 *
 * Lifetime: vfio_init_device() initialises the embedded struct device, so from then on
 * vfio_put_device() is the only way to free a vfio_device: the last put runs
 * vfio_device_release(), which hands the memory back to the driver's @release (which
 * calls vfio_free_device()). Registration publishes the device in its group; from then on
 * device->refcount counts the registration itself plus every user (an open device fd or a
 * lookup by name in flight). vfio_unregister_group_dev() drops the registration's count and
 * waits for the users to go, prodding them through the driver's @request.
 *
 * Device sets: devices that share a set_id share one vfio_device_set, whose lock
 * serialises open_device()/close_device() across them (a driver resetting a slot needs
 * all of its functions closed). vfio_dev_sets holds every set that has members, sorted by
 * set_id. It is a tree rather than an xarray: a set_id is usually a kernel pointer (the
 * device itself, for a device of its own), and an xarray indexed by pointers builds and
 * frees a chain of about a dozen nodes for every singleton set.
 *
 * Locking: vfio_dev_sets_lock protects vfio_dev_sets and every set's device_list and
 * device_count; a set's own lock protects its devices' open_count (device_fd.c).
 *
 * linux/compat.h and linux/pci.h complete types reachable from struct vfio_device that
 * the stock CRCs of this file's exports were computed over (see feature.c).
 */
#include <linux/compat.h>
#include <linux/device.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/vfio_eeh.h>

#include "vfio_core.h"

/* Unanswered release requests are repeated at this interval. */
#define VFIO_DEVICE_REQUEST_INTERVAL	(10 * HZ)

struct class *vfio_device_class;
static DEFINE_IDA(vfio_device_ida);
static DEFINE_MUTEX(vfio_dev_sets_lock);
static struct rb_root vfio_dev_sets = RB_ROOT;

/* A set as the core allocates it: drivers see only the stock struct vfio_device_set. */
struct vfio_dev_set_node {
	struct vfio_device_set set;
	struct rb_node node;
};

static struct vfio_dev_set_node *to_dev_set_node(struct vfio_device_set *set)
{
	return container_of(set, struct vfio_dev_set_node, set);
}

static int vfio_dev_set_cmp_key(const void *set_id, const struct rb_node *node)
{
	const void *id = rb_entry(node, struct vfio_dev_set_node, node)->set.set_id;

	if (set_id == id)
		return 0;
	return set_id < id ? -1 : 1;
}

static bool vfio_dev_set_less(struct rb_node *a, const struct rb_node *b)
{
	return vfio_dev_set_cmp_key(rb_entry(a, struct vfio_dev_set_node, node)->set.set_id,
				    b) < 0;
}

static struct vfio_device_set *vfio_device_set_get(void *set_id)
{
	struct vfio_dev_set_node *entry;
	struct rb_node *node;

	lockdep_assert_held(&vfio_dev_sets_lock);
	node = rb_find(set_id, &vfio_dev_sets, vfio_dev_set_cmp_key);
	if (node)
		return &rb_entry(node, struct vfio_dev_set_node, node)->set;

	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return ERR_PTR(-ENOMEM);
	entry->set.set_id = set_id;
	mutex_init(&entry->set.lock);
	INIT_LIST_HEAD(&entry->set.device_list);
	rb_add(&entry->node, &vfio_dev_sets, vfio_dev_set_less);
	return &entry->set;
}

/**
 * vfio_assign_device_set - put a device into the device set named by @set_id
 * @device: a vfio_device between vfio_init_device() and registration
 * @set_id: any pointer that all the devices of the set share (e.g. their slot or bus)
 *
 * Devices in one set have open_device()/close_device() serialised by the set's lock, and
 * vfio_device_set_open_count() counts their opens. A device not put into a set before
 * registration gets a set of its own.
 *
 * Return: 0, or -EINVAL for a NULL @set_id, or -ENOMEM.
 */
int vfio_assign_device_set(struct vfio_device *device, void *set_id)
{
	struct vfio_device_set *set;

	if (!set_id)
		return -EINVAL;

	mutex_lock(&vfio_dev_sets_lock);
	set = vfio_device_set_get(set_id);
	if (IS_ERR(set)) {
		mutex_unlock(&vfio_dev_sets_lock);
		return PTR_ERR(set);
	}
	list_add_tail(&device->dev_set_list, &set->device_list);
	set->device_count++;
	device->dev_set = set;
	mutex_unlock(&vfio_dev_sets_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_assign_device_set);

static void vfio_device_leave_set(struct vfio_device *device)
{
	struct vfio_device_set *set = device->dev_set;

	if (!set)
		return;

	mutex_lock(&vfio_dev_sets_lock);
	list_del(&device->dev_set_list);
	if (!--set->device_count) {
		rb_erase(&to_dev_set_node(set)->node, &vfio_dev_sets);
		mutex_destroy(&set->lock);
		kfree(to_dev_set_node(set));
	}
	mutex_unlock(&vfio_dev_sets_lock);
	device->dev_set = NULL;
}

/**
 * vfio_device_set_open_count - how many device fds are open on the devices of a set
 * @dev_set: the set; its lock must be held (as it is in open_device/close_device)
 *
 * Return: the sum of the open counts of the set's devices.
 */
unsigned int vfio_device_set_open_count(struct vfio_device_set *dev_set)
{
	struct vfio_device *device;
	unsigned int count = 0;

	lockdep_assert_held(&dev_set->lock);
	list_for_each_entry(device, &dev_set->device_list, dev_set_list)
		count += device->open_count;
	return count;
}
EXPORT_SYMBOL_GPL(vfio_device_set_open_count);

/* The release of the embedded struct device: the last vfio_put_device(). */
static void vfio_device_release(struct device *dev)
{
	struct vfio_device *device = container_of(dev, struct vfio_device, device);

	vfio_device_leave_set(device);
	ida_free(&vfio_device_ida, device->index);
	if (device->ops->release)
		device->ops->release(device);
	else
		vfio_free_device(device);
}

/**
 * vfio_init_device - initialise a vfio_device embedded in a driver's structure
 * @device: zeroed memory for the device
 * @dev: the device being driven (the parent of the vfio device)
 * @ops: the driver's callbacks; @ops->init, if any, is called last
 *
 * Drivers use vfio_alloc_device(), which calls this; only drivers that must allocate the
 * memory themselves call it directly. After success the device is freed by
 * vfio_put_device() only.
 *
 * Return: 0, or an errno (the index allocation's or @ops->init's).
 */
int vfio_init_device(struct vfio_device *device, struct device *dev,
		     const struct vfio_device_ops *ops)
{
	int ret;

	ret = ida_alloc_max(&vfio_device_ida, MINORMASK, GFP_KERNEL);
	if (ret < 0)
		return ret;
	device->index = ret;
	init_completion(&device->comp);
	device->dev = dev;
	device->ops = ops;

	if (ops->init) {
		ret = ops->init(device);
		if (ret)
			goto err_index;
	}

	device_initialize(&device->device);
	device->device.release = vfio_device_release;
	device->device.class = vfio_device_class;
	device->device.parent = dev;
	return 0;

err_index:
	vfio_device_leave_set(device);
	ida_free(&vfio_device_ida, device->index);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_init_device);

/**
 * _vfio_alloc_device - allocate and initialise a driver structure that embeds a vfio_device
 * @size: the size of the driver's structure, whose first member is the vfio_device
 * @dev: the device being driven
 * @ops: the driver's callbacks
 *
 * Drivers call it through vfio_alloc_device(). Free the result with vfio_put_device().
 *
 * Return: the vfio_device, or an ERR_PTR.
 */
struct vfio_device *_vfio_alloc_device(size_t size, struct device *dev,
				       const struct vfio_device_ops *ops)
{
	struct vfio_device *device;
	int ret;

	if (WARN_ON(size < sizeof(struct vfio_device)))
		return ERR_PTR(-EINVAL);

	device = kvzalloc(size, GFP_KERNEL);
	if (!device)
		return ERR_PTR(-ENOMEM);

	ret = vfio_init_device(device, dev, ops);
	if (ret) {
		kvfree(device);
		return ERR_PTR(ret);
	}
	return device;
}
EXPORT_SYMBOL_GPL(_vfio_alloc_device);

/**
 * vfio_free_device - free the memory of a vfio_device from the driver's @release
 * @device: the device, as allocated by vfio_alloc_device()
 *
 * A driver whose @release has nothing else to free may use this as its @release.
 */
void vfio_free_device(struct vfio_device *device)
{
	kvfree(device);
}
EXPORT_SYMBOL_GPL(vfio_free_device);

/**
 * vfio_device_try_get_registration - take a user reference on a registered device
 * @device: the device
 *
 * Return: false once unregistration has dropped the last reference.
 */
bool vfio_device_try_get_registration(struct vfio_device *device)
{
	return refcount_inc_not_zero(&device->refcount);
}

/**
 * vfio_device_put_registration - drop a reference taken by registration or a lookup
 * @device: the device; the last put wakes vfio_unregister_group_dev()
 */
void vfio_device_put_registration(struct vfio_device *device)
{
	if (refcount_dec_and_test(&device->refcount))
		complete(&device->comp);
}

static int vfio_device_register(struct vfio_device *device, enum vfio_group_type type)
{
	int ret;

	if (!device->dev_set) {
		ret = vfio_assign_device_set(device, device);
		if (ret)
			return ret;
	}

	ret = vfio_group_add_device(device, type);
	if (ret)
		return ret;

	ret = dev_set_name(&device->device, "vfio%u", device->index);
	if (ret)
		goto err_group;
	ret = device_add(&device->device);
	if (ret)
		goto err_group;

	/* The registration's own reference; dropped by vfio_unregister_group_dev() */
	refcount_set(&device->refcount, 1);
	vfio_group_link_device(device);
	return 0;

err_group:
	vfio_group_remove_device(device);
	return ret;
}

/**
 * vfio_register_group_dev - register a device behind a real IOMMU with the VFIO core
 * @device: an initialised vfio_device whose @dev is in an iommu_group
 *
 * The device appears in the VFIO group of its iommu_group (/dev/vfio/N), created on first
 * use, and can be opened from there.
 *
 * Return: 0; -EINVAL if @dev has no iommu_group or its IOMMU cannot enforce cache
 * coherency; -EBUSY if @dev is registered already; or another errno.
 */
int vfio_register_group_dev(struct vfio_device *device)
{
	return vfio_device_register(device, VFIO_IOMMU);
}
EXPORT_SYMBOL_GPL(vfio_register_group_dev);

/**
 * vfio_register_emulated_iommu_dev - register a device whose DMA the driver mediates
 * @device: an initialised vfio_device (an mdev, say) that cannot DMA by itself
 *
 * The core makes an iommu_group of its own for the device, so that it has a VFIO group
 * like any other. The driver reaches guest memory only with vfio_pin_pages() and
 * vfio_dma_rw().
 *
 * Return: 0 or an errno.
 */
int vfio_register_emulated_iommu_dev(struct vfio_device *device)
{
	return vfio_device_register(device, VFIO_EMULATED_IOMMU);
}
EXPORT_SYMBOL_GPL(vfio_register_emulated_iommu_dev);

/* Waits for the last user of an unregistered device, asking the driver to prod them. */
static void vfio_device_wait_unused(struct vfio_device *device)
{
	bool interruptible = true, warned = false;
	unsigned int nr_requests = 0;
	long left;

	if (try_wait_for_completion(&device->comp))
		return;
	for (;;) {
		if (device->ops->request)
			device->ops->request(device, nr_requests++);

		if (interruptible) {
			left = wait_for_completion_interruptible_timeout(&device->comp,
						VFIO_DEVICE_REQUEST_INTERVAL);
			/* A signal cannot end the wait; it only stops it from being interruptible */
			if (left < 0)
				interruptible = false;
		} else {
			left = wait_for_completion_timeout(&device->comp,
							   VFIO_DEVICE_REQUEST_INTERVAL);
		}
		/* A successful wait consumed the completion: the last user is gone */
		if (left > 0)
			return;
		if (warned)
			continue;
		dev_warn(device->dev,
			 "Device is currently in use, task \"%s\" (%d) blocked until device is released\n",
			 current->comm, task_pid_nr(current));
		warned = true;
	}
}

/**
 * vfio_unregister_group_dev - remove a device from VFIO, waiting for its users
 * @device: a registered device
 *
 * New opens fail at once. While device fds are still open the driver's @request is
 * called (at once, then every 10 seconds) to ask userspace to release the device, and
 * the kernel log says which task is blocked; this returns when the last fd is closed.
 * Afterwards the driver may vfio_put_device().
 */
void vfio_unregister_group_dev(struct vfio_device *device)
{
	/* A driver that forgot vfio_device_clear_eeh_ops() leaves no stale entry */
	vfio_device_clear_eeh_ops(device);
	vfio_device_put_registration(device);
	vfio_device_wait_unused(device);
	vfio_group_unlink_device(device);
	device_del(&device->device);
	vfio_group_remove_device(device);
}
EXPORT_SYMBOL_GPL(vfio_unregister_group_dev);

int vfio_device_init_class(void)
{
	vfio_device_class = class_create(THIS_MODULE, "vfio-dev");
	return PTR_ERR_OR_ZERO(vfio_device_class);
}

void vfio_device_exit_class(void)
{
	class_destroy(vfio_device_class);
	ida_destroy(&vfio_device_ida);
}
