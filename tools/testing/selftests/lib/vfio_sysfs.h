/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sysfs helpers shared by the VFIO selftest suites (vfio, vfio_core, vgpu, eeh): read and
 * write one attribute, and the IOMMU group a device's sysfs directory links to. Each returns
 * 0 (or a value) or -errno and holds nothing: every fd it opens is closed before it returns.
 * Suites reach this header through -I../lib in their Makefiles.
 */
#ifndef SELFTESTS_VFIO_SYSFS_H
#define SELFTESTS_VFIO_SYSFS_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read attribute @path into @buf (at most @len - 1 bytes), without its trailing newline. */
static inline int sysfs_attr_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

/* Write @val to attribute @path in one write(). */
static inline int sysfs_attr_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The IOMMU group number of the device at sysfs directory @devpath, or -errno. */
static inline int sysfs_dev_iommu_group(const char *devpath)
{
	char link[PATH_MAX + 16], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/iommu_group", devpath);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	return atoi(basename(target));
}

#endif /* SELFTESTS_VFIO_SYSFS_H */
