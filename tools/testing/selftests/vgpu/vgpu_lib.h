/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the vGPU selftests: create/remove mdevs through sysfs, open one as a VFIO user
 * (container, group, device), map guest memory, and drive the device's registers through
 * the device fd. Helpers come in threes: __x() returns -errno, x() asserts success,
 * x_err(E, ...) asserts a given errno. Assertion variants need the harness's _metadata.
 */
#ifndef VGPU_LIB_H
#define VGPU_LIB_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include <linux/vfio.h>

#include "../../../../samples/vgpu/vgpu_regs.h"
#include "vfio_sysfs.h"

#define VGPU_SYSFS_PARENT	"/sys/class/mdev_bus/vgpu%d"
#define VGPU_TYPE_DIR		VGPU_SYSFS_PARENT "/mdev_supported_types/vgpu-%s"
#define MDEV_DIR		"/sys/bus/mdev/devices/%s"
#define REGION_OFFSET(i)	((uint64_t)(i) << 40)
#define VGPU_SCANOUT_REGION	VFIO_PCI_NUM_REGIONS

struct vgpu_dev {
	char uuid[37];
	int container;
	int group;
	int device;
};

static inline long type_attr_long(int gpu, const char *type, const char *attr)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), VGPU_TYPE_DIR "/%s", gpu, type, attr);
	if (sysfs_attr_read(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 0);
}

/* Create an mdev of vgpu-<type> on GPU <gpu>; fills uuid. Returns 0 or -errno. */
static inline int __mdev_create(int gpu, const char *type, char *uuid)
{
	char path[PATH_MAX];
	uuid_t u;

	uuid_generate(u);
	uuid_unparse_lower(u, uuid);
	snprintf(path, sizeof(path), VGPU_TYPE_DIR "/create", gpu, type);
	return sysfs_attr_write(path, uuid);
}

static inline int __mdev_remove(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEV_DIR "/remove", uuid);
	return sysfs_attr_write(path, "1");
}

static inline int mdev_group_nr(const char *uuid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEV_DIR, uuid);
	return sysfs_dev_iommu_group(path);
}

/*
 * Open a container and the group of mdev @uuid, nothing more: no SET_CONTAINER, no device.
 * Returns 0 or -errno; an fd not opened stays -1 (vgpu_close() closes the rest).
 */
static inline int __vgpu_open_group(struct vgpu_dev *v, const char *uuid)
{
	char path[64];
	int nr;

	memset(v, 0, sizeof(*v));
	v->container = v->group = v->device = -1;
	snprintf(v->uuid, sizeof(v->uuid), "%s", uuid);
	nr = mdev_group_nr(uuid);
	if (nr < 0)
		return nr;
	v->container = open("/dev/vfio/vfio", O_RDWR);
	if (v->container < 0)
		return -errno;
	snprintf(path, sizeof(path), "/dev/vfio/%d", nr);
	v->group = open(path, O_RDWR);
	return v->group < 0 ? -errno : 0;
}

/* Open an mdev as a VFIO user with a type1v2 container. Returns 0 or -errno. */
static inline int __vgpu_open(struct vgpu_dev *v, const char *uuid)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	int ret;

	ret = __vgpu_open_group(v, uuid);
	if (ret)
		return ret;
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status))
		return -errno;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		return -EBUSY;
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container))
		return -errno;
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return -errno;
	ret = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, v->uuid);
	if (ret < 0)
		return -errno;
	v->device = ret;
	return 0;
}

static inline void vgpu_close(struct vgpu_dev *v)
{
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
	v->container = v->group = v->device = -1;
}

static inline int __dma_map(struct vgpu_dev *v, void *vaddr, uint64_t iova, uint64_t size,
			    uint32_t flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = flags,
		.vaddr = (uintptr_t)vaddr, .iova = iova, .size = size,
	};

	return ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

/*
 * Map @size bytes of fresh zeroed memory at @iova, read and write, into *@mem. Returns 0 or
 * -errno; *@mem is MAP_FAILED only when the mmap() failed, else the caller munmap()s it.
 */
static inline int __vgpu_mem_map(struct vgpu_dev *v, uint8_t **mem, uint64_t iova, size_t size)
{
	*mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*mem == MAP_FAILED)
		return -errno;
	memset(*mem, 0, size);
	return __dma_map(v, *mem, iova, size, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
}

static inline int __dma_unmap(struct vgpu_dev *v, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = iova, .size = size,
	};

	return ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
}

static inline int __region_rw(struct vgpu_dev *v, int index, uint64_t off, void *buf,
			      size_t len, bool write)
{
	ssize_t n;

	if (write)
		n = pwrite(v->device, buf, len, REGION_OFFSET(index) + off);
	else
		n = pread(v->device, buf, len, REGION_OFFSET(index) + off);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

static inline uint32_t mmio_rd32(struct vgpu_dev *v, uint32_t off)
{
	uint32_t val = 0xdeadbeef;

	__region_rw(v, VFIO_PCI_BAR2_REGION_INDEX, off, &val, 4, false);
	return val;
}

static inline void mmio_wr32(struct vgpu_dev *v, uint32_t off, uint32_t val)
{
	__region_rw(v, VFIO_PCI_BAR2_REGION_INDEX, off, &val, 4, true);
}

static inline uint16_t dispi_rd(struct vgpu_dev *v, int index)
{
	uint16_t val = 0xdead;

	__region_rw(v, VFIO_PCI_BAR2_REGION_INDEX, VGPU_DISPI_BASE + index * 2, &val, 2, false);
	return val;
}

static inline void dispi_wr(struct vgpu_dev *v, int index, uint16_t val)
{
	__region_rw(v, VFIO_PCI_BAR2_REGION_INDEX, VGPU_DISPI_BASE + index * 2, &val, 2, true);
}

static inline uint32_t cfg_rd32(struct vgpu_dev *v, uint32_t off)
{
	uint32_t val = 0xdeadbeef;

	__region_rw(v, VFIO_PCI_CONFIG_REGION_INDEX, off, &val, 4, false);
	return val;
}

static inline void cfg_wr32(struct vgpu_dev *v, uint32_t off, uint32_t val)
{
	__region_rw(v, VFIO_PCI_CONFIG_REGION_INDEX, off, &val, 4, true);
}

/*
 * Run one copy engine command; returns its VGPU_CE_ERR_* code (0 on success), or -1 when
 * the engine did not report completion.
 */
static inline int ce_run(struct vgpu_dev *v, uint32_t cmd, uint64_t iova, uint32_t vram_off,
			 uint32_t len, uint32_t ctrl)
{
	uint32_t status;

	mmio_wr32(v, VGPU_CE_STATUS, ~0u);
	mmio_wr32(v, VGPU_CE_IOVA_LO, (uint32_t)iova);
	mmio_wr32(v, VGPU_CE_IOVA_HI, (uint32_t)(iova >> 32));
	mmio_wr32(v, VGPU_CE_VRAM_OFF, vram_off);
	mmio_wr32(v, VGPU_CE_LEN, len);
	mmio_wr32(v, VGPU_CE_CMD, cmd);
	mmio_wr32(v, VGPU_CE_CTRL, ctrl);
	mmio_wr32(v, VGPU_CE_DOORBELL, 1);
	status = mmio_rd32(v, VGPU_CE_STATUS);
	if (!(status & VGPU_CE_STATUS_DONE))
		return -1;
	if (!(status & VGPU_CE_STATUS_ERROR))
		return 0;
	return mmio_rd32(v, VGPU_CE_ERROR);
}

#endif /* VGPU_LIB_H */
