// SPDX-License-Identifier: GPL-2.0-only
/*
 * struct vfio_group: one per iommu_group that has a registered vfio_device, shown to
 * userspace as the character device /dev/vfio/<iommu group id> (class "vfio").
 *
 * The group table, vfio_groups, holds the live vfio_groups sorted by iommu_group. A group is
 * live from the first vfio_group_add_device() of its iommu_group to the removal of its
 * last device (group->nr_devices). Teardown takes it out of the table, deletes its node,
 * forces it out of its container and clears group->iommu_group, which every ioctl on a
 * node that is still open checks first (-ENODEV). The memory belongs to group->dev: an
 * open node holds it through the cdev, so it outlives teardown until the last close.
 *
 * Emulated groups (devices whose DMA the driver mediates, e.g. mdevs) get an iommu_group
 * made for them here, named "vfio-noiommu" as the stock core names it, holding exactly one
 * device.
 *
 * Locking: vfio_groups_lock protects the table and every group's nr_devices and nests
 * outside group->lock, which protects the rest of the group (see vfio_core.h). The node
 * has one opener at a time (group->opened_file); each open device fd holds a reference on
 * that file, so the node's release runs only after every device fd of the group is gone.
 */
#include <linux/cdev.h>
#include <linux/compat.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio_core.h"

static struct class *vfio_group_class;
static dev_t vfio_group_devt;
static DEFINE_IDA(vfio_group_minors);
static DEFINE_MUTEX(vfio_groups_lock);
static struct rb_root vfio_groups = RB_ROOT;

static int vfio_group_cmp_key(const void *iommu_group, const struct rb_node *node)
{
	const void *key = rb_entry(node, struct vfio_group, node)->iommu_group;

	if (iommu_group == key)
		return 0;
	return iommu_group < key ? -1 : 1;
}

static bool vfio_group_less(struct rb_node *a, const struct rb_node *b)
{
	return vfio_group_cmp_key(rb_entry(a, struct vfio_group, node)->iommu_group, b) < 0;
}

static void vfio_group_release(struct device *dev)
{
	struct vfio_group *group = container_of(dev, struct vfio_group, dev);

	ida_free(&vfio_group_minors, MINOR(dev->devt));
	mutex_destroy(&group->lock);
	kfree(group);
}

static struct vfio_group *vfio_group_alloc(struct iommu_group *iommu_group,
					   enum vfio_group_type type)
{
	struct vfio_group *group;
	int minor, ret;

	group = kzalloc(sizeof(*group), GFP_KERNEL);
	if (!group)
		return ERR_PTR(-ENOMEM);
	minor = ida_alloc_max(&vfio_group_minors, MINORMASK, GFP_KERNEL);
	if (minor < 0) {
		kfree(group);
		return ERR_PTR(minor);
	}

	/* From here on the release of group->dev frees the group and its minor */
	device_initialize(&group->dev);
	group->dev.devt = MKDEV(MAJOR(vfio_group_devt), minor);
	group->dev.class = vfio_group_class;
	group->dev.release = vfio_group_release;
	cdev_init(&group->cdev, &vfio_group_fops);
	group->cdev.owner = THIS_MODULE;
	mutex_init(&group->lock);
	INIT_LIST_HEAD(&group->devices);
	group->type = type;

	ret = dev_set_name(&group->dev, "%d", iommu_group_id(iommu_group));
	if (ret) {
		put_device(&group->dev);
		return ERR_PTR(ret);
	}
	/* Put when the group is torn down */
	iommu_group_ref_get(iommu_group);
	group->iommu_group = iommu_group;
	return group;
}

/* Finds the live group of @iommu_group or makes it; counts one more device in it. */
static struct vfio_group *vfio_group_get(struct iommu_group *iommu_group,
					 enum vfio_group_type type)
{
	struct vfio_group *group;
	struct rb_node *node;
	int ret;

	lockdep_assert_held(&vfio_groups_lock);
	node = rb_find(iommu_group, &vfio_groups, vfio_group_cmp_key);
	if (node) {
		group = rb_entry(node, struct vfio_group, node);
		group->nr_devices++;
		return group;
	}

	group = vfio_group_alloc(iommu_group, type);
	if (IS_ERR(group))
		return group;
	ret = cdev_device_add(&group->cdev, &group->dev);
	if (ret)
		goto err_put;
	rb_add(&group->node, &vfio_groups, vfio_group_less);
	group->nr_devices = 1;
	return group;

err_put:
	iommu_group_put(group->iommu_group);
	group->iommu_group = NULL;
	put_device(&group->dev);
	return ERR_PTR(ret);
}

/* The last device is gone: the group leaves the table, its node and its container. */
static void vfio_group_destroy(struct vfio_group *group)
{
	struct iommu_group *iommu_group = group->iommu_group;

	lockdep_assert_held(&vfio_groups_lock);
	rb_erase(&group->node, &vfio_groups);
	cdev_device_del(&group->cdev, &group->dev);

	mutex_lock(&group->lock);
	/* No device fd is open (they pin their device's registration), only the node may be */
	if (group->container)
		vfio_container_detach_group(group);
	group->iommu_group = NULL;
	mutex_unlock(&group->lock);

	iommu_group_put(iommu_group);
	put_device(&group->dev);
}

static struct iommu_group *vfio_group_real_iommu_group(struct device *dev)
{
	struct iommu_group *iommu_group = iommu_group_get(dev);

	if (!iommu_group)
		return ERR_PTR(-EINVAL);
	/* VFIO maps with IOMMU_CACHE and has no way to let userspace restore coherency */
	if (!device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY)) {
		iommu_group_put(iommu_group);
		return ERR_PTR(-EINVAL);
	}
	return iommu_group;
}

static struct iommu_group *vfio_group_emulated_iommu_group(struct device *dev)
{
	struct iommu_group *iommu_group;
	int ret;

	iommu_group = iommu_group_alloc();
	if (IS_ERR(iommu_group))
		return iommu_group;
	ret = iommu_group_set_name(iommu_group, "vfio-noiommu");
	if (ret)
		goto err_put;
	ret = iommu_group_add_device(iommu_group, dev);
	if (ret)
		goto err_put;
	return iommu_group;

err_put:
	iommu_group_put(iommu_group);
	return ERR_PTR(ret);
}

static bool vfio_group_has_dev(struct vfio_group *group, struct device *dev)
{
	struct vfio_device *it;
	bool found = false;

	mutex_lock(&group->lock);
	list_for_each_entry(it, &group->devices, group_next)
		found |= it->dev == dev;
	mutex_unlock(&group->lock);
	return found;
}

/**
 * vfio_group_add_device - put a device being registered into the group of its iommu_group
 * @device: the device; on success device->group is set
 * @type: VFIO_IOMMU for a device in a real iommu_group, VFIO_EMULATED_IOMMU for one the
 *	core makes a group for
 *
 * Return: 0, or -EINVAL (no usable iommu_group), -EBUSY (@device->dev is registered
 * already) or another errno. Undone by vfio_group_remove_device().
 */
int vfio_group_add_device(struct vfio_device *device, enum vfio_group_type type)
{
	struct iommu_group *iommu_group;
	struct vfio_group *group;

	if (type == VFIO_IOMMU)
		iommu_group = vfio_group_real_iommu_group(device->dev);
	else
		iommu_group = vfio_group_emulated_iommu_group(device->dev);
	if (IS_ERR(iommu_group))
		return PTR_ERR(iommu_group);

	mutex_lock(&vfio_groups_lock);
	group = vfio_group_get(iommu_group, type);
	mutex_unlock(&vfio_groups_lock);
	/* The group holds its own reference */
	iommu_group_put(iommu_group);
	if (IS_ERR(group)) {
		if (type != VFIO_IOMMU)
			iommu_group_remove_device(device->dev);
		return PTR_ERR(group);
	}

	device->group = group;
	if (vfio_group_has_dev(group, device->dev)) {
		dev_warn(device->dev, "already registered with VFIO group %s\n",
			 dev_name(&group->dev));
		vfio_group_remove_device(device);
		return -EBUSY;
	}
	return 0;
}

/**
 * vfio_group_remove_device - undo vfio_group_add_device()
 * @device: the device; unlinked from the group's device list already
 *
 * The removal of a group's last device tears the group down.
 */
void vfio_group_remove_device(struct vfio_device *device)
{
	struct vfio_group *group = device->group;

	if (group->type != VFIO_IOMMU)
		iommu_group_remove_device(device->dev);

	mutex_lock(&vfio_groups_lock);
	if (!--group->nr_devices)
		vfio_group_destroy(group);
	mutex_unlock(&vfio_groups_lock);
	device->group = NULL;
}

/**
 * vfio_group_link_device - make a registered device findable by VFIO_GROUP_GET_DEVICE_FD
 * @device: a device added to its group, with its registration reference set
 */
void vfio_group_link_device(struct vfio_device *device)
{
	mutex_lock(&device->group->lock);
	list_add(&device->group_next, &device->group->devices);
	mutex_unlock(&device->group->lock);
}

/**
 * vfio_group_unlink_device - undo vfio_group_link_device()
 * @device: a device without users
 */
void vfio_group_unlink_device(struct vfio_device *device)
{
	mutex_lock(&device->group->lock);
	list_del(&device->group_next);
	mutex_unlock(&device->group->lock);
}

/* Finds a device by the name userspace gave and takes a user reference on it. */
static struct vfio_device *vfio_group_find_device(struct vfio_group *group, char *name)
{
	struct vfio_device *it, *found = ERR_PTR(-ENODEV);
	int match;

	mutex_lock(&group->lock);
	list_for_each_entry(it, &group->devices, group_next) {
		if (it->ops->match)
			match = it->ops->match(it, name);
		else
			match = !strcmp(dev_name(it->dev), name);
		if (match < 0) {
			found = ERR_PTR(match);
			break;
		}
		if (match && vfio_device_try_get_registration(it)) {
			found = it;
			break;
		}
	}
	mutex_unlock(&group->lock);
	return found;
}

static int vfio_group_ioctl_get_device_fd(struct vfio_group *group, char __user *arg)
{
	struct vfio_device *device;
	struct file *file;
	char *name;
	int fd, ret;

	name = strndup_user(arg, PAGE_SIZE);
	if (IS_ERR(name))
		return PTR_ERR(name);
	device = vfio_group_find_device(group, name);
	kfree(name);
	if (IS_ERR(device))
		return PTR_ERR(device);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_put_device;
	}
	/* On success the user reference moves to the file */
	file = vfio_device_open_file(device);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto err_put_fd;
	}
	fd_install(fd, file);
	return fd;

err_put_fd:
	put_unused_fd(fd);
err_put_device:
	vfio_device_put_registration(device);
	return ret;
}

static int vfio_group_ioctl_get_status(struct vfio_group *group,
				       struct vfio_group_status __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_group_status, flags);
	struct vfio_group_status status;

	if (copy_from_user(&status, arg, minsz))
		return -EFAULT;
	if (status.argsz < minsz)
		return -EINVAL;

	status.flags = 0;
	mutex_lock(&group->lock);
	if (!group->iommu_group) {
		mutex_unlock(&group->lock);
		return -ENODEV;
	}
	if (group->container)
		status.flags = VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET;
	else if (!iommu_group_dma_owner_claimed(group->iommu_group))
		status.flags = VFIO_GROUP_FLAGS_VIABLE;
	mutex_unlock(&group->lock);

	return copy_to_user(arg, &status, minsz) ? -EFAULT : 0;
}

static int vfio_group_ioctl_set_container(struct vfio_group *group, int __user *arg)
{
	struct vfio_container *container;
	struct fd f;
	int fd, ret;

	if (get_user(fd, arg))
		return -EFAULT;
	f = fdget(fd);
	if (!f.file)
		return -EBADF;

	container = vfio_container_from_file(f.file);
	mutex_lock(&group->lock);
	if (group->container)
		ret = -EINVAL;
	else if (!group->iommu_group)
		ret = -ENODEV;
	else if (!container)
		ret = -EINVAL;
	else
		ret = vfio_container_attach_group(container, group);
	mutex_unlock(&group->lock);
	fdput(f);
	return ret;
}

static int vfio_group_ioctl_unset_container(struct vfio_group *group)
{
	int ret = 0;

	mutex_lock(&group->lock);
	if (!group->container)
		ret = -EINVAL;
	else if (group->container_users != 1)
		ret = -EBUSY;	/* device fds are open */
	else
		vfio_container_detach_group(group);
	mutex_unlock(&group->lock);
	return ret;
}

static long vfio_group_fops_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vfio_group *group = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GROUP_GET_DEVICE_FD:
		return vfio_group_ioctl_get_device_fd(group, uarg);
	case VFIO_GROUP_GET_STATUS:
		return vfio_group_ioctl_get_status(group, uarg);
	case VFIO_GROUP_SET_CONTAINER:
		return vfio_group_ioctl_set_container(group, uarg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return vfio_group_ioctl_unset_container(group);
	default:
		return -ENOTTY;
	}
}

static int vfio_group_fops_open(struct inode *inode, struct file *file)
{
	struct vfio_group *group = container_of(inode->i_cdev, struct vfio_group, cdev);
	int ret = 0;

	mutex_lock(&group->lock);
	if (!group->iommu_group)
		ret = -ENODEV;
	else if (group->opened_file)
		ret = -EBUSY;	/* one opener at a time */
	else
		group->opened_file = file;
	mutex_unlock(&group->lock);
	if (!ret)
		file->private_data = group;
	return ret;
}

static int vfio_group_fops_release(struct inode *inode, struct file *file)
{
	struct vfio_group *group = file->private_data;

	mutex_lock(&group->lock);
	if (group->container)
		vfio_container_detach_group(group);
	group->opened_file = NULL;
	mutex_unlock(&group->lock);
	return 0;
}

const struct file_operations vfio_group_fops = {
	.owner		= THIS_MODULE,
	.open		= vfio_group_fops_open,
	.release	= vfio_group_fops_release,
	.unlocked_ioctl	= vfio_group_fops_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static char *vfio_group_devnode(struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "vfio/%s", dev_name(dev));
}

int vfio_group_init(void)
{
	int ret;

	vfio_group_class = class_create(THIS_MODULE, "vfio");
	if (IS_ERR(vfio_group_class))
		return PTR_ERR(vfio_group_class);
	vfio_group_class->devnode = vfio_group_devnode;

	ret = alloc_chrdev_region(&vfio_group_devt, 0, MINORMASK + 1, "vfio");
	if (ret)
		class_destroy(vfio_group_class);
	return ret;
}

void vfio_group_exit(void)
{
	unregister_chrdev_region(vfio_group_devt, MINORMASK + 1);
	class_destroy(vfio_group_class);
	ida_destroy(&vfio_group_minors);
}
