/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the VFIO core suites: find QEMU's edu device (bound to vfio-pci by run.sh) or
 * make an mtty mdev, open the container, group and device fds in the usual order, and the
 * core ioctls in threes: __x() returns 0 (or a value) or -errno, x() asserts success,
 * x_err(E, ...) asserts -E. Every helper leaves an fd it did not open at -1, so a fixture's
 * teardown can close whatever is >= 0.
 */
#ifndef VFIO_CORE_UTIL_H
#define VFIO_CORE_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "proc_kb.h"
#include "vfio_sysfs.h"

/* QEMU hw/misc/edu.c: register 0 reads 0xRRrr00ed, version 1.0 */
#ifndef offsetofend
#define offsetofend(type, member) \
	(offsetof(type, member) + sizeof(((type *)0)->member))
#endif

#define EDU_VENDOR	"0x1234"
#define EDU_DEVICE	"0x11e8"
#define EDU_ID		0x010000edU
#define EDU_BAR0_SIZE	0x100000ULL

struct vc_dev {
	char name[64];		/* PCI name or mdev UUID */
	char path[PATH_MAX];	/* its sysfs directory */
	int groupno;
};

struct vc_fds {
	int container;
	int group;
	int device;
};

/* The name of the driver bound to the device at @path, "" when none. */
static inline void vc_dev_driver(const char *path, char *drv, size_t len)
{
	char link[PATH_MAX + 16], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/driver", path);
	n = readlink(link, target, sizeof(target) - 1);
	target[n < 0 ? 0 : n] = 0;
	snprintf(drv, len, "%s", n < 0 ? "" : basename(target));
}

/* The first edu device, whatever driver it has. Return: 0 or -ENODEV. */
static inline int vc_edu_find(struct vc_dev *dev)
{
	char path[PATH_MAX + 16], val[32];
	int ret = -ENODEV;
	glob_t g;
	size_t i;

	if (glob("/sys/bus/pci/devices/*", 0, NULL, &g))
		return ret;
	for (i = 0; i < g.gl_pathc && ret; i++) {
		snprintf(path, sizeof(path), "%s/vendor", g.gl_pathv[i]);
		if (sysfs_attr_read(path, val, sizeof(val)) || strcmp(val, EDU_VENDOR))
			continue;
		snprintf(path, sizeof(path), "%s/device", g.gl_pathv[i]);
		if (sysfs_attr_read(path, val, sizeof(val)) || strcmp(val, EDU_DEVICE))
			continue;
		snprintf(dev->path, sizeof(dev->path), "%s", g.gl_pathv[i]);
		snprintf(dev->name, sizeof(dev->name), "%s", basename(g.gl_pathv[i]));
		dev->groupno = sysfs_dev_iommu_group(dev->path);
		ret = dev->groupno < 0 ? dev->groupno : 0;
	}
	globfree(&g);
	return ret;
}

/* The edu device, only when vfio-pci has it. Return: 0 or -ENODEV. */
static inline int vc_edu_vfio(struct vc_dev *dev)
{
	char drv[64];

	if (vc_edu_find(dev))
		return -ENODEV;
	vc_dev_driver(dev->path, drv, sizeof(drv));
	return strcmp(drv, "vfio-pci") ? -ENODEV : 0;
}

/* Open /dev/vfio/@groupno. Return: the fd or -errno. */
static inline int __group_open(int groupno)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/vfio/%d", groupno);
	fd = open(path, O_RDWR);
	return fd < 0 ? -errno : fd;
}

static inline int __container_open(void)
{
	int fd = open("/dev/vfio/vfio", O_RDWR);

	return fd < 0 ? -errno : fd;
}

/* An ioctl whose result is 0 or -errno */
static inline int vc_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* VFIO_CHECK_EXTENSION and VFIO_SET_IOMMU take their argument by value */
static inline int __check_extension(int container, unsigned long ext)
{
	int ret = ioctl(container, VFIO_CHECK_EXTENSION, ext);

	return ret < 0 ? -errno : ret;
}

static inline int __set_iommu(int container, unsigned long type)
{
	return ioctl(container, VFIO_SET_IOMMU, type) < 0 ? -errno : 0;
}

#define set_iommu(c, t)		ASSERT_EQ(0, __set_iommu(c, t))
#define set_iommu_err(e, c, t)	ASSERT_EQ(-(e), __set_iommu(c, t))

static inline int __set_container(int group, int container)
{
	return vc_ioctl(group, VFIO_GROUP_SET_CONTAINER, &container);
}

#define set_container(g, c)		ASSERT_EQ(0, __set_container(g, c))
#define set_container_err(e, g, c)	ASSERT_EQ(-(e), __set_container(g, c))

static inline int __unset_container(int group)
{
	return ioctl(group, VFIO_GROUP_UNSET_CONTAINER) < 0 ? -errno : 0;
}

#define unset_container(g)		ASSERT_EQ(0, __unset_container(g))
#define unset_container_err(e, g)	ASSERT_EQ(-(e), __unset_container(g))

/* VFIO_GROUP_GET_STATUS. Return: the flags or -errno. */
static inline int __group_status(int group, uint32_t argsz)
{
	struct vfio_group_status st = { .argsz = argsz };

	return ioctl(group, VFIO_GROUP_GET_STATUS, &st) < 0 ? -errno : (int)st.flags;
}

#define GROUP_SET	(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET)
#define group_flags(g)		__group_status(g, sizeof(struct vfio_group_status))

/* VFIO_GROUP_GET_DEVICE_FD. Return: the fd or -errno. */
static inline int __device_fd(int group, const char *name)
{
	int fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, name);

	return fd < 0 ? -errno : fd;
}

#define device_fd_err(e, g, name)	ASSERT_EQ(-(e), __device_fd(g, name))

/*
 * Container, group and device of @dev, the container set to @type (0: stop after
 * SET_CONTAINER; no device either). Return: 0 or -errno; fds not opened stay -1.
 */
static inline int vc_open(struct vc_fds *fds, const struct vc_dev *dev, unsigned long type)
{
	int ret;

	fds->container = fds->group = fds->device = -1;
	ret = __group_open(dev->groupno);
	if (ret < 0)
		return ret;
	fds->group = ret;
	ret = __container_open();
	if (ret < 0)
		return ret;
	fds->container = ret;
	ret = __set_container(fds->group, fds->container);
	if (ret || !type)
		return ret;
	ret = __set_iommu(fds->container, type);
	if (ret)
		return ret;
	ret = __device_fd(fds->group, dev->name);
	if (ret < 0)
		return ret;
	fds->device = ret;
	return 0;
}

static inline void vc_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static inline void vc_close(struct vc_fds *fds)
{
	vc_close_fd(&fds->device);
	vc_close_fd(&fds->group);
	vc_close_fd(&fds->container);
}

/* The device ioctls */

static inline int __region_info(int device, uint32_t index, struct vfio_region_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return vc_ioctl(device, VFIO_DEVICE_GET_REGION_INFO, info);
}

static inline int __irq_info(int device, uint32_t index, struct vfio_irq_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	info->index = index;
	return vc_ioctl(device, VFIO_DEVICE_GET_IRQ_INFO, info);
}

/* VFIO_DEVICE_SET_IRQS with @count eventfds (or none) after the header. */
static inline int __set_irqs(int device, uint32_t argsz, uint32_t flags, uint32_t index,
			     uint32_t start, uint32_t count, const int32_t *fds)
{
	char buf[sizeof(struct vfio_irq_set) + 4 * sizeof(int32_t)] = { 0 };
	struct vfio_irq_set *set = (void *)buf;

	set->argsz = argsz;
	set->flags = flags;
	set->index = index;
	set->start = start;
	set->count = count;
	if (fds)
		memcpy(set->data, fds, (count > 4 ? 4 : count) * sizeof(int32_t));
	return vc_ioctl(device, VFIO_DEVICE_SET_IRQS, set);
}

#define EVENTFD_TRIGGER	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define set_irqs_err(e, d, argsz, flags, index, start, count) \
	ASSERT_EQ(-(e), __set_irqs(d, argsz, flags, index, start, count, NULL))

/* Point the device's request IRQ at @efd (-1 to tear it down). Return: 0 or -errno. */
static inline int vc_set_req_eventfd(int device, int32_t efd)
{
	return __set_irqs(device, sizeof(struct vfio_irq_set) + sizeof(efd), EVENTFD_TRIGGER,
			  VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &efd);
}

static inline int __feature(int device, uint32_t argsz, uint32_t flags)
{
	struct vfio_device_feature feat[2] = { { .argsz = argsz, .flags = flags } };

	return vc_ioctl(device, VFIO_DEVICE_FEATURE, feat);
}

#define feature_err(e, d, argsz, flags)	ASSERT_EQ(-(e), __feature(d, argsz, flags))

/* Read edu's identification register through the device fd. Return: 0 or -errno. */
static inline int vc_edu_read_id(int device, uint32_t *id)
{
	struct vfio_region_info bar;
	int ret = __region_info(device, VFIO_PCI_BAR0_REGION_INDEX, &bar);

	if (ret)
		return ret;
	if (pread(device, id, sizeof(*id), bar.offset) != sizeof(*id))
		return -errno ?: -EIO;
	return 0;
}

/* The byte offset of region @index in the device fd (vfio-pci's encoding) */
#define VC_REGION_OFFSET(index)	((uint64_t)(index) << 40)

#endif /* VFIO_CORE_UTIL_H */
