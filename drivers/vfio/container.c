// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct vfio_container: the IOMMU context behind /dev/vfio/vfio. Every open of the node
 * makes one; groups join it with VFIO_GROUP_SET_CONTAINER, and VFIO_SET_IOMMU then picks an
 * IOMMU backend for all of them (backend.c). Every other container ioctl goes to that
 * backend.
 *
 * Lifetime: container->kref counts the fd and each group in container->groups. The
 * backend is chosen once and dropped when the last group leaves (no group, no privilege:
 * the container is back to its unset state), so at the last put no backend is left.
 *
 * Locking: group->lock -> container->lock. container->lock is an rwsem: joining, leaving
 * and VFIO_SET_IOMMU write; the backend calls made for open devices and the rare container
 * ioctls read. The ioctls that go to the backend (MAP_DMA, UNMAP_DMA, ...: the hot path
 * of a VMM) take no lock: they count themselves in container->backend_users, and dropping
 * the backend waits until they are done (vfio_container_get_backend()). A device fd holds
 * a "user" of its group's membership (group->container_users), so neither the group's
 * container nor the container's backend changes while any device of the group is open.
 */
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vfio_core.h"

static void vfio_container_release(struct kref *kref)
{
	struct vfio_container *container = container_of(kref, struct vfio_container, kref);

	kfree(container);
}

static void vfio_container_put(struct vfio_container *container)
{
	kref_put(&container->kref, vfio_container_release);
}

/**
 * vfio_container_attach_group - VFIO_GROUP_SET_CONTAINER: add a group to a container
 * @container: the container of the fd userspace gave
 * @group: a live group in no container; group->lock held
 *
 * A physical group's iommu_group is claimed for DMA ownership first, so no host driver
 * can bind to its devices while userspace may program their DMA. If the container has a
 * backend, the group is attached to it.
 *
 * Return: 0, or the claim's errno (-EBUSY while a host driver is bound in the group), or
 * the backend's.
 */
int vfio_container_attach_group(struct vfio_container *container, struct vfio_group *group)
{
	int ret = 0;

	lockdep_assert_held(&group->lock);
	down_write(&container->lock);
	if (group->type == VFIO_IOMMU) {
		ret = iommu_group_claim_dma_owner(group->iommu_group, group);
		if (ret)
			goto out_unlock;
	}
	if (container->backend) {
		ret = container->backend->ops->attach_group(container->backend_data,
							    group->iommu_group, group->type);
		if (ret)
			goto err_release_owner;
	}

	/* Both put in vfio_container_detach_group() */
	kref_get(&container->kref);
	group->container_users = 1;
	group->container = container;
	list_add_tail(&group->container_next, &container->groups);
	goto out_unlock;

err_release_owner:
	if (group->type == VFIO_IOMMU)
		iommu_group_release_dma_owner(group->iommu_group);
out_unlock:
	up_write(&container->lock);
	return ret;
}

/**
 * vfio_container_detach_group - take a group without open devices out of its container
 * @group: the group; group->lock held
 *
 * The last group to leave takes the backend with it.
 */
void vfio_container_detach_group(struct vfio_group *group)
{
	struct vfio_container *container = group->container;

	lockdep_assert_held(&group->lock);
	down_write(&container->lock);
	if (container->backend)
		container->backend->ops->detach_group(container->backend_data,
						      group->iommu_group);
	if (group->type == VFIO_IOMMU)
		iommu_group_release_dma_owner(group->iommu_group);
	list_del(&group->container_next);
	group->container = NULL;
	group->container_users = 0;
	if (list_empty(&container->groups) && container->backend)
		vfio_backend_unset_iommu(container);
	up_write(&container->lock);

	vfio_container_put(container);
}

/**
 * vfio_container_use - count a device fd being opened as a user of its group's container
 * @group: the device's group; group->lock held
 *
 * The device fd also holds a reference on the group's file, so the group cannot leave
 * its container while the device is open.
 *
 * Return: 0, or -EINVAL when the group is in no container or the container has no
 * backend yet.
 */
int vfio_container_use(struct vfio_group *group)
{
	bool has_backend;

	lockdep_assert_held(&group->lock);
	if (!group->container)
		return -EINVAL;
	down_read(&group->container->lock);
	has_backend = group->container->backend;
	up_read(&group->container->lock);
	if (!has_backend)
		return -EINVAL;

	get_file(group->opened_file);
	group->container_users++;
	return 0;
}

/**
 * vfio_container_unuse - undo vfio_container_use()
 * @group: the device's group; takes group->lock
 */
void vfio_container_unuse(struct vfio_group *group)
{
	struct file *file;

	mutex_lock(&group->lock);
	group->container_users--;
	file = group->opened_file;
	mutex_unlock(&group->lock);
	fput(file);
}

/**
 * vfio_container_register_device - tell the backend that a device of the container opened
 * @device: the device, in its first open; its group's lock held
 */
void vfio_container_register_device(struct vfio_device *device)
{
	struct vfio_container *container = device->group->container;

	down_read(&container->lock);
	if (container->backend->ops->register_device)
		container->backend->ops->register_device(container->backend_data, device);
	up_read(&container->lock);
}

/**
 * vfio_container_unregister_device - undo vfio_container_register_device()
 * @device: the device, in its last close; its group's lock held
 */
void vfio_container_unregister_device(struct vfio_device *device)
{
	struct vfio_container *container = device->group->container;

	down_read(&container->lock);
	if (container->backend->ops->unregister_device)
		container->backend->ops->unregister_device(container->backend_data, device);
	up_read(&container->lock);
}

/*
 * Pin the container's backend for an ioctl that runs without container->lock. Return:
 * false when the container has no backend (yet, or any more).
 */
static bool vfio_container_get_backend(struct vfio_container *container)
{
	if (!refcount_inc_not_zero(&container->backend_users))
		return false;
	/* Pairs with the smp_wmb() in vfio_backend_set_iommu(): see the backend it set */
	smp_acquire__after_ctrl_dep();
	return true;
}

static void vfio_container_put_backend(struct vfio_container *container)
{
	if (refcount_dec_and_test(&container->backend_users))
		complete(&container->backend_idle);
}

static long vfio_container_ioctl_set_iommu(struct vfio_container *container,
					   unsigned long type)
{
	long ret;

	down_write(&container->lock);
	/* Only groups give a container the right to an IOMMU; it is set once */
	if (list_empty(&container->groups) || container->backend)
		ret = -EINVAL;
	else
		ret = vfio_backend_set_iommu(container, type);
	up_write(&container->lock);
	return ret;
}

static long vfio_container_fops_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vfio_container *container = file->private_data;
	long ret = -EINVAL;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_SET_IOMMU:
		return vfio_container_ioctl_set_iommu(container, arg);
	case VFIO_CHECK_EXTENSION:
		/* A device that models EEH answers for it (eeh.c), else the backend does */
		if (arg == VFIO_EEH && vfio_eeh_container_supported(container))
			return 1;
		down_read(&container->lock);
		ret = vfio_backend_check_extension(container, arg);
		up_read(&container->lock);
		return ret;
	case VFIO_EEH_PE_OP:
		/* Without such a device the backend answers, as on the stock stack */
		if (vfio_eeh_container_supported(container))
			return vfio_eeh_pe_op(container, (void __user *)arg);
		fallthrough;
	default:
		/* Everything else is the backend's; nothing is ours before VFIO_SET_IOMMU */
		if (!vfio_container_get_backend(container))
			return ret;
		ret = container->backend->ops->ioctl(container->backend_data, cmd, arg);
		vfio_container_put_backend(container);
		return ret;
	}
}

static int vfio_container_fops_open(struct inode *inode, struct file *file)
{
	struct vfio_container *container;

	container = kzalloc(sizeof(*container), GFP_KERNEL_ACCOUNT);
	if (!container)
		return -ENOMEM;
	kref_init(&container->kref);
	init_rwsem(&container->lock);
	INIT_LIST_HEAD(&container->groups);
	init_completion(&container->backend_idle);
	INIT_LIST_HEAD(&container->usage);
	file->private_data = container;
	return 0;
}

static int vfio_container_fops_release(struct inode *inode, struct file *file)
{
	struct vfio_container *container = file->private_data;

	/* Groups may outlive the fd; the backend may want to drop what only the fd needed */
	down_read(&container->lock);
	if (container->backend && container->backend->ops->notify)
		container->backend->ops->notify(container->backend_data,
						VFIO_IOMMU_CONTAINER_CLOSE);
	up_read(&container->lock);
	vfio_container_put(container);
	return 0;
}

static const struct file_operations vfio_container_fops = {
	.owner		= THIS_MODULE,
	.open		= vfio_container_fops_open,
	.release	= vfio_container_fops_release,
	.unlocked_ioctl	= vfio_container_fops_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/**
 * vfio_container_from_file - the container behind a /dev/vfio/vfio fd
 * @file: any file
 *
 * Return: the container, or NULL if @file is not a container fd. Valid while the caller
 * holds @file.
 */
struct vfio_container *vfio_container_from_file(struct file *file)
{
	return file->f_op == &vfio_container_fops ? file->private_data : NULL;
}

static struct miscdevice vfio_container_miscdev = {
	.minor		= VFIO_MINOR,
	.name		= "vfio",
	.fops		= &vfio_container_fops,
	.nodename	= "vfio/vfio",
	.mode		= 0666,
};

int vfio_container_init(void)
{
	return misc_register(&vfio_container_miscdev);
}

void vfio_container_exit(void)
{
	misc_deregister(&vfio_container_miscdev);
}
