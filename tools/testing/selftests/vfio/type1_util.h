/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers of the type1 suites: containers over an emulated (mdev) or physical (vfio-pci)
 * group, and the type1 ioctls in threes: __x() returns 0 or -errno, x() asserts success,
 * x_err(E, ...) asserts -E. The sysfs helpers are ../lib/vfio_sysfs.h, shared with the
 * other VFIO suites.
 */
#ifndef TYPE1_UTIL_H
#define TYPE1_UTIL_H

#include <dirent.h>
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "proc_kb.h"
#include "vfio_sysfs.h"

#define SZ_4K	0x1000ULL
#define SZ_2M	0x200000ULL
#define SZ_1G	0x40000000ULL

struct t1_env {
	int container;
	int group;
	int device;
	char uuid[40];		/* the mdev made for the test, "" for a physical device */
	char mdev_path[PATH_MAX];
};

/* The first mdev type directory whose path contains @what. Return: 0 or -ENOENT. */
static inline int t1_mdev_type(const char *what, char *out, size_t len)
{
	glob_t g;
	size_t i;
	int ret = -ENOENT;

	if (glob("/sys/class/mdev_bus/*/mdev_supported_types/*", 0, NULL, &g))
		return ret;
	for (i = 0; i < g.gl_pathc; i++) {
		if (strstr(g.gl_pathv[i], what)) {
			snprintf(out, len, "%s", g.gl_pathv[i]);
			ret = 0;
			break;
		}
	}
	globfree(&g);
	return ret;
}

/* Open group @groupno, a container of @type over it and the device @name. */
static inline int t1_open(struct t1_env *env, int groupno, int type, const char *name)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", groupno);
	env->group = open(path, O_RDWR);
	if (env->group < 0)
		return -errno;
	if (ioctl(env->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -ENODEV;
	env->container = open("/dev/vfio/vfio", O_RDWR);
	if (env->container < 0)
		return -errno;
	if (ioctl(env->group, VFIO_GROUP_SET_CONTAINER, &env->container))
		return -errno;
	if (ioctl(env->container, VFIO_SET_IOMMU, type))
		return -errno;
	env->device = ioctl(env->group, VFIO_GROUP_GET_DEVICE_FD, name);
	if (env->device < 0)
		return -errno;
	return 0;
}

/* Make an mdev of the first type matching @what and open it. Return: 0 or -errno. */
static inline int t1_open_mdev(struct t1_env *env, const char *what, int type)
{
	char tdir[PATH_MAX], path[PATH_MAX + 32];
	int ret, groupno;

	env->container = env->group = env->device = -1;
	env->uuid[0] = 0;
	ret = t1_mdev_type(what, tdir, sizeof(tdir));
	if (ret)
		return ret;
	ret = sysfs_attr_read("/proc/sys/kernel/random/uuid", env->uuid, sizeof(env->uuid));
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/create", tdir);
	ret = sysfs_attr_write(path, env->uuid);
	if (ret) {
		env->uuid[0] = 0;
		return ret;
	}
	snprintf(env->mdev_path, sizeof(env->mdev_path), "/sys/bus/mdev/devices/%s",
		 env->uuid);
	groupno = sysfs_dev_iommu_group(env->mdev_path);
	if (groupno < 0)
		return groupno;
	return t1_open(env, groupno, type, env->uuid);
}

static inline void t1_close(struct t1_env *env)
{
	char path[PATH_MAX + 16];

	if (env->device >= 0)
		close(env->device);
	if (env->group >= 0)
		close(env->group);
	if (env->container >= 0)
		close(env->container);
	env->device = env->group = env->container = -1;
	if (env->uuid[0]) {
		snprintf(path, sizeof(path), "%s/remove", env->mdev_path);
		sysfs_attr_write(path, "1");
		env->uuid[0] = 0;
	}
}

/* The type1 ioctls */

static inline int __dma_map(int fd, uint64_t iova, void *vaddr, uint64_t size,
			    uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = flags,
		.vaddr = (uintptr_t)vaddr, .iova = iova, .size = size,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)
#define dma_map(fd, iova, vaddr, size) \
	ASSERT_EQ(0, __dma_map(fd, iova, vaddr, size, RW))
#define dma_map_err(e, fd, iova, vaddr, size, flags) \
	ASSERT_EQ(-(e), __dma_map(fd, iova, vaddr, size, flags))

static inline int __dma_unmap(int fd, uint64_t iova, uint64_t *size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .flags = flags, .iova = iova, .size = *size,
	};

	if (ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap))
		return -errno;
	*size = unmap.size;
	return 0;
}

/* Unmap exactly [iova, iova + size): asserts success and the size unmapped. */
#define dma_unmap(fd, iova, size) do {					\
	uint64_t __s = (size);						\
	ASSERT_EQ(0, __dma_unmap(fd, iova, &__s, 0));			\
	ASSERT_EQ((uint64_t)(size), __s);				\
} while (0)
#define dma_unmap_err(e, fd, iova, size, flags) do {			\
	uint64_t __s = (size);						\
	ASSERT_EQ(-(e), __dma_unmap(fd, iova, &__s, flags));		\
} while (0)

/* UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP. */
static inline int __dma_unmap_bitmap(int fd, uint64_t iova, uint64_t size,
				     uint64_t pgsize, uint64_t *bitmap,
				     uint64_t bitmap_size, uint64_t *unmapped)
{
	char buf[sizeof(struct vfio_iommu_type1_dma_unmap) + sizeof(struct vfio_bitmap)];
	struct vfio_iommu_type1_dma_unmap *unmap = (void *)buf;
	struct vfio_bitmap *bm = (void *)unmap->data;

	unmap->argsz = sizeof(buf);
	unmap->flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	unmap->iova = iova;
	unmap->size = size;
	bm->pgsize = pgsize;
	bm->size = bitmap_size;
	bm->data = (void *)bitmap;
	if (ioctl(fd, VFIO_IOMMU_UNMAP_DMA, unmap))
		return -errno;
	if (unmapped)
		*unmapped = unmap->size;
	return 0;
}

static inline int __dirty(int fd, uint32_t flags)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d), .flags = flags };

	return ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &d) ? -errno : 0;
}

#define dirty_start(fd)	ASSERT_EQ(0, __dirty(fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_START))
#define dirty_stop(fd)	ASSERT_EQ(0, __dirty(fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP))
#define dirty_err(e, fd, flags)	ASSERT_EQ(-(e), __dirty(fd, flags))

static inline int __dirty_get(int fd, uint64_t iova, uint64_t size, uint64_t pgsize,
			      uint64_t *bitmap, uint64_t bitmap_size)
{
	char buf[sizeof(struct vfio_iommu_type1_dirty_bitmap) +
		 sizeof(struct vfio_iommu_type1_dirty_bitmap_get)];
	struct vfio_iommu_type1_dirty_bitmap *d = (void *)buf;
	struct vfio_iommu_type1_dirty_bitmap_get *range = (void *)d->data;

	d->argsz = sizeof(buf);
	d->flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	range->iova = iova;
	range->size = size;
	range->bitmap.pgsize = pgsize;
	range->bitmap.size = bitmap_size;
	range->bitmap.data = (void *)bitmap;
	return ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, d) ? -errno : 0;
}

#define dirty_get(fd, iova, size, bitmap, bsize) \
	ASSERT_EQ(0, __dirty_get(fd, iova, size, SZ_4K, bitmap, bsize))
#define dirty_get_err(e, fd, iova, size, pgsize, bitmap, bsize) \
	ASSERT_EQ(-(e), __dirty_get(fd, iova, size, pgsize, bitmap, bsize))

/* Bytes of a bitmap for @size bytes at 4 KiB, whole u64 words. */
static inline uint64_t t1_bitmap_bytes(uint64_t size)
{
	return ((size / SZ_4K + 63) / 64) * 8;
}

static inline uint64_t t1_popcount(const uint64_t *bm, uint64_t bytes)
{
	uint64_t i, n = 0;

	for (i = 0; i < bytes / 8; i++)
		n += __builtin_popcountll(bm[i]);
	return n;
}

static inline bool t1_test_bit(const uint64_t *bm, uint64_t bit)
{
	return bm[bit / 64] >> (bit % 64) & 1;
}

/* An anonymous mapping that reserves nothing: emulated containers never touch it. */
static inline void *t1_mmap(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

#endif /* TYPE1_UTIL_H */
