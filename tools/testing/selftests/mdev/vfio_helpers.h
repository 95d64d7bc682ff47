/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Opening an mdev through the VFIO group uAPI: container, group, type1v2, device fd.
 * Functions return 0 or an errno and leave nothing open on failure.
 */
#ifndef __VFIO_HELPERS_H
#define __VFIO_HELPERS_H

#include <sys/ioctl.h>
#include <linux/vfio.h>

#include "mdev_helpers.h"

struct vfio_mdev {
	int group;
	int device;
};

static inline int vfio_container_open(int *container)
{
	int fd = open("/dev/vfio/vfio", O_RDWR), err;

	if (fd < 0)
		return errno;
	if (ioctl(fd, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1) {
		errno = ENOTSUP;
		goto err_close;
	}
	*container = fd;
	return 0;

err_close:
	err = errno;
	close(fd);
	return err;
}

static inline int mdev_group_path(const char *uuid, char *path, size_t size)
{
	char link[PATH_MAX], *slash;
	ssize_t n;

	snprintf(link, sizeof(link), MDEV_DEVICES "/%s/iommu_group", uuid);
	n = readlink(link, path, size - 1);
	if (n < 0)
		return errno;
	path[n] = '\0';
	slash = strrchr(path, '/');
	snprintf(link, sizeof(link), "/dev/vfio/%s", slash ? slash + 1 : path);
	snprintf(path, size, "%s", link);
	return 0;
}

/*
 * Opens the group of @uuid into @container (setting type1v2 on the container's first
 * group when @set_iommu) and gets the device fd.
 */
static inline int __vfio_mdev_open(int container, const char *uuid, int set_iommu,
				   struct vfio_mdev *m)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[PATH_MAX];
	int err;

	err = mdev_group_path(uuid, path, sizeof(path));
	if (err)
		return err;
	m->group = open(path, O_RDWR);
	if (m->group < 0)
		return errno;
	if (ioctl(m->group, VFIO_GROUP_GET_STATUS, &status))
		goto err_close_group;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = EPERM;
		goto err_close_group;
	}
	if (ioctl(m->group, VFIO_GROUP_SET_CONTAINER, &container))
		goto err_close_group;
	if (set_iommu && ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		goto err_close_group;
	m->device = ioctl(m->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (m->device < 0)
		goto err_close_group;
	return 0;

err_close_group:
	err = errno;
	close(m->group);
	return err;
}

static inline void vfio_mdev_close(struct vfio_mdev *m)
{
	close(m->device);
	close(m->group);
}

#endif /* __VFIO_HELPERS_H */
