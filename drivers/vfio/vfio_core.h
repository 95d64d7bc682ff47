/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private declarations of vfio.ko, shared by its files and by nothing else.
 *
 * Objects and the files that own them:
 *  - struct vfio_device (include/linux/vfio.h; its private part is ours): device.c for its
 *    allocation, registration and device sets, device_fd.c for what an open fd does with it.
 *  - struct vfio_group: group.c, one per iommu_group with a registered device; the
 *    /dev/vfio/N node.
 *  - struct vfio_container: container.c, one per open of /dev/vfio/vfio; backend.c holds
 *    the registry of IOMMU backends it picks from.
 *  - The single-usage policy (include/linux/vfio_usage.h): usage.c.
 *  - EEH for devices that model it (include/linux/vfio_eeh.h): eeh.c, with its own table
 *    and lock (vfio_eeh_lock, outside group->lock).
 *  - Leaf helpers with no state of their own: info.c (capability chains, SET_IRQS checks),
 *    feature.c (VFIO_DEVICE_FEATURE), iova_bitmap.c.
 *
 * Lock order (outermost first):
 *   device->dev_set->lock -> group->lock -> container->lock -> backend's own locks
 * vfio_groups_lock (group.c: the iommu_group -> vfio_group table) nests outside
 * group->lock; it is held while a group is torn down (which detaches the group from its
 * container's backend), never while calling a driver. vfio_eeh_lock (eeh.c) nests outside
 * group->lock too: vfio_eeh_lock -> group->lock -> the driver's EEH ops.
 *
 * Lifetime:
 *  - a vfio_device is freed by the release of its embedded struct device (vfio_put_device());
 *    device->refcount counts the registration (1) plus every open fd and lookup in flight;
 *    vfio_unregister_group_dev() drops the registration's count and waits on device->comp.
 *  - a vfio_group is live while it has devices (group->nr_devices); its memory, owned by
 *    its struct device's kref, lives on while its node is open.
 *  - a vfio_container lives while its fd is open or a group is in it (kref).
 */
#ifndef __VFIO_CORE_H__
#define __VFIO_CORE_H__

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/vfio.h>

#include "vfio_iommu_backend.h"

struct kvm;
struct vfio_backend;

#ifdef __GENKSYMS__
/*
 * What modversions sees instead of our two structures below. genksyms computes an exported
 * symbol's CRC over every type reachable from its prototype, and struct vfio_device
 * (include/linux/vfio.h) points to struct vfio_group: the stock CRCs were computed over the
 * stock kernel's member list of its group and with its container left opaque. So genksyms,
 * and only genksyms, is shown that member list here. The compiler never sees it, and no
 * module outside vfio.ko can see either layout (drivers hold only the pointer), so the
 * CRCs stay the stock ones without any ABI being at stake.
 */
struct vfio_group {
	struct device			dev;
	struct cdev			cdev;
	refcount_t			drivers;
	unsigned int			container_users;
	struct iommu_group		*iommu_group;
	struct vfio_container		*container;
	struct list_head		device_list;
	struct mutex			device_lock;
	struct list_head		vfio_next;
	struct list_head		container_next;
	enum vfio_group_type		type;
	struct mutex			group_lock;
	struct kvm			*kvm;
	struct file			*opened_file;
	struct blocking_notifier_head	notifier;
};
#else
/**
 * struct vfio_container - the IOMMU context that groups share (/dev/vfio/vfio)
 * @kref: one for the fd, one for each group in @groups
 * @lock: protects @backend, @backend_data and @groups (rwsem: setting or dropping the
 *	backend and changing @groups run exclusive, reading them shared)
 * @groups: the vfio_groups in this container (vfio_group.container_next)
 * @backend: the backend chosen by VFIO_SET_IOMMU, or NULL before it
 * @backend_data: what @backend's open returned
 * @backend_users: 0 without a backend; else 1, plus one per ioctl forwarded to the
 *	backend without @lock (container.c)
 * @backend_idle: completed when the last of those ioctls returns after the backend
 *	started to go away
 * @usage: single-usage claims of the devices open in this container (usage.c)
 */
struct vfio_container {
	struct kref		kref;
	struct rw_semaphore	lock;
	struct list_head	groups;
	struct vfio_backend	*backend;
	void			*backend_data;
	refcount_t		backend_users;
	struct completion	backend_idle;
	struct list_head	usage;
};

/**
 * struct vfio_group - a group of devices that share one IOMMU context (/dev/vfio/N)
 * @dev: the group's node in class "vfio"; its kref owns this memory
 * @cdev: the character device behind /dev/vfio/N
 * @iommu_group: the IOMMU group; NULL once the last device is gone
 * @type: real, emulated or no-IOMMU group
 * @nr_devices: devices being registered or registered (protected by vfio_groups_lock)
 * @node: entry in the table of live groups (protected by vfio_groups_lock)
 * @lock: protects every field below it
 * @devices: registered vfio_devices (vfio_device.group_next)
 * @opened_file: the one open file of the node, or NULL
 * @container: the container this group is in, or NULL
 * @container_next: entry in container->groups
 * @container_users: 1 for the node's membership plus one per open device fd
 * @kvm: the KVM the group file was given by kvm-vfio, or NULL
 */
struct vfio_group {
	struct device		dev;
	struct cdev		cdev;
	struct iommu_group	*iommu_group;
	enum vfio_group_type	type;
	unsigned int		nr_devices;
	struct rb_node		node;
	struct mutex		lock;
	struct list_head	devices;
	struct file		*opened_file;
	struct vfio_container	*container;
	struct list_head	container_next;
	unsigned int		container_users;
	struct kvm		*kvm;
};
#endif /* __GENKSYMS__ */

/* group.c */
extern const struct file_operations vfio_group_fops;
int vfio_group_add_device(struct vfio_device *device, enum vfio_group_type type);
void vfio_group_link_device(struct vfio_device *device);
void vfio_group_unlink_device(struct vfio_device *device);
void vfio_group_remove_device(struct vfio_device *device);
int vfio_group_init(void);
void vfio_group_exit(void);

/* device.c */
extern struct class *vfio_device_class;
bool vfio_device_try_get_registration(struct vfio_device *device);
void vfio_device_put_registration(struct vfio_device *device);
int vfio_device_init_class(void);
void vfio_device_exit_class(void);

/* device_fd.c */
struct file *vfio_device_open_file(struct vfio_device *device);

/* container.c */
int vfio_container_attach_group(struct vfio_container *container, struct vfio_group *group);
void vfio_container_detach_group(struct vfio_group *group);
struct vfio_container *vfio_container_from_file(struct file *file);
int vfio_container_use(struct vfio_group *group);
void vfio_container_unuse(struct vfio_group *group);
void vfio_container_register_device(struct vfio_device *device);
void vfio_container_unregister_device(struct vfio_device *device);
int vfio_container_init(void);
void vfio_container_exit(void);

/* backend.c: container->lock held for write where it says "locked" */
struct vfio_backend {
	const struct vfio_iommu_driver_ops *ops;
	struct list_head next;
};
long vfio_backend_check_extension(struct vfio_container *container, unsigned long ext);
int vfio_backend_set_iommu(struct vfio_container *container, unsigned long type);
void vfio_backend_unset_iommu(struct vfio_container *container);

/* usage.c */
int vfio_usage_claim(struct vfio_container *container, struct vfio_device *device);
void vfio_usage_release(struct vfio_container *container, struct vfio_device *device);

/* eeh.c: EEH devices of a container (include/linux/vfio_eeh.h); call with no lock held */
bool vfio_eeh_container_supported(struct vfio_container *container);
long vfio_eeh_pe_op(struct vfio_container *container, void __user *arg);

/* feature.c */
int vfio_device_feature_ioctl(struct vfio_device *device,
			      struct vfio_device_feature __user *arg);

#endif /* __VFIO_CORE_H__ */
