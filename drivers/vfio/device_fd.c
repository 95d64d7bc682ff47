// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device fd: what VFIO_GROUP_GET_DEVICE_FD returns, and everything done through it.
 *
 * Opening: the fd becomes a user of its group's container (container.c), pins the
 * driver's module, and the first open of a device calls the driver's open_device() after
 * taking the device's single-usage claim (usage.c), then registers the device with the
 * container's backend (so that it gets dma_unmap() calls). The last close undoes it all
 * in reverse. Each fd carries one user reference on the device's registration, so the
 * driver's unregistration waits for it.
 *
 * Locking: device->dev_set->lock protects open_count and serialises open_device() and
 * close_device() across the set; group->lock is held inside it while the driver opens or
 * closes, so that the KVM handed to the driver cannot change meanwhile.
 * Everything else (ioctl, read, write, mmap) goes to the driver without core locks.
 */
#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/pm_runtime.h>
#include <linux/vfio.h>

#include "vfio_core.h"

static int vfio_device_first_open(struct vfio_device *device)
{
	struct vfio_group *group = device->group;
	int ret;

	lockdep_assert_held(&device->dev_set->lock);
	mutex_lock(&group->lock);
	ret = vfio_usage_claim(group->container, device);
	if (ret)
		goto out_unlock;

	/* The driver takes its own reference on the KVM if it keeps using it */
	device->kvm = group->kvm;
	if (device->ops->open_device) {
		ret = device->ops->open_device(device);
		if (ret)
			goto err_release_claim;
	}
	vfio_container_register_device(device);
	goto out_unlock;

err_release_claim:
	device->kvm = NULL;
	vfio_usage_release(group->container, device);
out_unlock:
	mutex_unlock(&group->lock);
	return ret;
}

static void vfio_device_last_close(struct vfio_device *device)
{
	struct vfio_group *group = device->group;

	lockdep_assert_held(&device->dev_set->lock);
	mutex_lock(&group->lock);
	/* The backend keeps calling dma_unmap() until the driver has dropped its pins */
	if (device->ops->close_device)
		device->ops->close_device(device);
	vfio_container_unregister_device(device);
	vfio_usage_release(group->container, device);
	device->kvm = NULL;
	mutex_unlock(&group->lock);
}

static int vfio_device_get_open(struct vfio_device *device)
{
	int ret = 0;

	mutex_lock(&device->dev_set->lock);
	if (!device->open_count)
		ret = vfio_device_first_open(device);
	if (!ret)
		device->open_count++;
	mutex_unlock(&device->dev_set->lock);
	return ret;
}

static void vfio_device_put_open(struct vfio_device *device)
{
	mutex_lock(&device->dev_set->lock);
	if (device->open_count == 1)
		vfio_device_last_close(device);
	device->open_count--;
	mutex_unlock(&device->dev_set->lock);
}

static int vfio_device_fops_release(struct inode *inode, struct file *file)
{
	struct vfio_device *device = file->private_data;
	struct vfio_group *group = device->group;

	vfio_device_put_open(device);
	module_put(device->dev->driver->owner);
	vfio_container_unuse(group);
	/* Pairs with the lookup in VFIO_GROUP_GET_DEVICE_FD */
	vfio_device_put_registration(device);
	return 0;
}

/* Runtime PM: the device is awake while the core calls its driver for an ioctl. */
static int vfio_device_pm_get(struct vfio_device *device)
{
	struct device *dev = device->dev;
	int ret;

	if (!dev->driver || !dev->driver->pm)
		return 0;
	ret = pm_runtime_resume_and_get(dev);
	if (ret) {
		dev_info_ratelimited(dev, "vfio: runtime resume failed %d\n", ret);
		return -EIO;
	}
	return 0;
}

static void vfio_device_pm_put(struct vfio_device *device)
{
	struct device *dev = device->dev;

	if (dev->driver && dev->driver->pm)
		pm_runtime_put(dev);
}

static long vfio_device_fops_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vfio_device *device = file->private_data;
	long ret;

	ret = vfio_device_pm_get(device);
	if (ret)
		return ret;
	if (cmd == VFIO_DEVICE_FEATURE)
		ret = vfio_device_feature_ioctl(device, (void __user *)arg);
	else if (device->ops->ioctl)
		ret = device->ops->ioctl(device, cmd, arg);
	else
		ret = -EINVAL;
	vfio_device_pm_put(device);
	return ret;
}

static ssize_t vfio_device_fops_read(struct file *file, char __user *buf, size_t count,
				     loff_t *ppos)
{
	struct vfio_device *device = file->private_data;

	if (!device->ops->read)
		return -EINVAL;
	return device->ops->read(device, buf, count, ppos);
}

static ssize_t vfio_device_fops_write(struct file *file, const char __user *buf,
				      size_t count, loff_t *ppos)
{
	struct vfio_device *device = file->private_data;

	if (!device->ops->write)
		return -EINVAL;
	return device->ops->write(device, buf, count, ppos);
}

static int vfio_device_fops_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vfio_device *device = file->private_data;

	if (!device->ops->mmap)
		return -EINVAL;
	return device->ops->mmap(device, vma);
}

static const struct file_operations vfio_device_fops = {
	.owner		= THIS_MODULE,
	.release	= vfio_device_fops_release,
	.read		= vfio_device_fops_read,
	.write		= vfio_device_fops_write,
	.unlocked_ioctl	= vfio_device_fops_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= vfio_device_fops_mmap,
};

/**
 * vfio_device_open_file - open a device for userspace
 * @device: the device, with a user reference on its registration that moves to the file
 *	on success
 *
 * Return: the new file, or an ERR_PTR: -EINVAL when the group's container has no IOMMU
 * backend yet, -ENODEV when the driver is going away, -EBUSY from the single-usage
 * policy, or the driver's open_device() errno.
 */
struct file *vfio_device_open_file(struct vfio_device *device)
{
	struct vfio_group *group = device->group;
	struct file *file;
	int ret;

	mutex_lock(&group->lock);
	ret = vfio_container_use(group);
	mutex_unlock(&group->lock);
	if (ret)
		return ERR_PTR(ret);

	if (!try_module_get(device->dev->driver->owner)) {
		ret = -ENODEV;
		goto err_unuse;
	}
	ret = vfio_device_get_open(device);
	if (ret)
		goto err_module_put;

	/*
	 * Not anon_inode_getfd(): the mode needs FMODE_PREAD/FMODE_PWRITE first. And
	 * FMODE_NONOTIFY: an access to a device region is no file event; every device fd
	 * shares the one anonymous inode, so a watch on it could only report accesses
	 * to all of them. Upstream later made this the default for all pseudo files.
	 */
	file = anon_inode_getfile("[vfio-device]", &vfio_device_fops, device, O_RDWR);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put_open;
	}
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE | FMODE_NONOTIFY;
	return file;

err_put_open:
	vfio_device_put_open(device);
err_module_put:
	module_put(device->dev->driver->owner);
err_unuse:
	vfio_container_unuse(group);
	return ERR_PTR(ret);
}
