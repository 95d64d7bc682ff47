// SPDX-License-Identifier: GPL-2.0-only
/*
 * MAP_DMA, UNMAP_DMA and GET_INFO of the type1 backend with bad and good input, through an
 * emulated (mtty) group: alignment, wrap, zero size, overlaps, flags, argsz, the v1/v2
 * unmap rules, UNMAP_ALL, VADDR refused with mdevs, dma_entry_limit.
 * Every test also checks that locked memory returns to where it started.
 */
#include "kselftest_harness.h"
#include "type1_util.h"

#define IOVA_BASE	(1ULL << 32)
#define LIMIT_PARAM	"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"

FIXTURE(map) {
	struct t1_env env;
	long locked_kb;
	char *buf;
};

FIXTURE_VARIANT(map) {
	int type;
};

FIXTURE_VARIANT_ADD(map, type1) { .type = VFIO_TYPE1_IOMMU };
FIXTURE_VARIANT_ADD(map, type1v2) { .type = VFIO_TYPE1v2_IOMMU };

FIXTURE_SETUP(map)
{
	int ret;

	self->locked_kb = vm_locked_kb();
	self->buf = t1_mmap(64 * SZ_2M);
	ASSERT_NE(NULL, self->buf);
	ret = t1_open_mdev(&self->env, "mtty", variant->type);
	if (ret)
		SKIP(return, "no mtty mdev (%s)", strerror(-ret));
}

FIXTURE_TEARDOWN(map)
{
	t1_close(&self->env);
	munmap(self->buf, 64 * SZ_2M);
	EXPECT_EQ(self->locked_kb, vm_locked_kb());
}

/* The capability of @id in the chain of @info, or NULL. */
static struct vfio_info_cap_header *find_cap(struct vfio_iommu_type1_info *info,
					     uint16_t id)
{
	uint32_t off = info->cap_offset;

	while (off) {
		struct vfio_info_cap_header *h = (void *)((char *)info + off);

		if (h->id == id)
			return h;
		off = h->next;
	}
	return NULL;
}

static int __get_info(int fd, struct vfio_iommu_type1_info *info, uint32_t argsz)
{
	info->argsz = argsz;
	return ioctl(fd, VFIO_IOMMU_GET_INFO, info) ? -errno : 0;
}

TEST_F(map, info)
{
	int fd = self->env.container;
	char buf[4096] = {};
	struct vfio_iommu_type1_info *info = (void *)buf;
	struct vfio_iommu_type1_info_cap_migration *mig;
	struct vfio_iommu_type1_info_dma_avail *avail;
	uint32_t avail0;

	/* short argsz */
	ASSERT_EQ(-EINVAL, __get_info(fd, info, offsetof(struct vfio_iommu_type1_info,
							  iova_pgsizes)));
	/* an old user without cap_offset */
	ASSERT_EQ(0, __get_info(fd, info, offsetof(struct vfio_iommu_type1_info, cap_offset)));
	EXPECT_TRUE(info->flags & VFIO_IOMMU_INFO_PGSIZES);
	EXPECT_TRUE(info->iova_pgsizes & SZ_4K);
	/* too small for the caps: argsz tells how much is needed */
	ASSERT_EQ(0, __get_info(fd, info, sizeof(*info)));
	EXPECT_TRUE(info->flags & VFIO_IOMMU_INFO_CAPS);
	EXPECT_LT(sizeof(*info), info->argsz);
	EXPECT_EQ(0, info->cap_offset);
	ASSERT_EQ(0, __get_info(fd, info, sizeof(buf)));
	ASSERT_NE(0, info->cap_offset);

	mig = (void *)find_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	ASSERT_NE(NULL, mig);
	EXPECT_EQ(SZ_4K, mig->pgsize_bitmap);
	EXPECT_EQ(((uint64_t)INT32_MAX + 63) / 64 * 8, mig->max_dirty_bitmap_size);
	avail = (void *)find_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_NE(NULL, avail);
	/* no physical group: no IOVA ranges */
	EXPECT_EQ(NULL, find_cap(info, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE));

	avail0 = avail->avail;
	dma_map(fd, IOVA_BASE, self->buf, SZ_4K);
	ASSERT_EQ(0, __get_info(fd, info, sizeof(buf)));
	avail = (void *)find_cap(info, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	EXPECT_EQ(avail0 - 1, avail->avail);
	dma_unmap(fd, IOVA_BASE, SZ_4K);
}

TEST_F(map, extensions)
{
	int fd = self->env.container;

	EXPECT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	EXPECT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	EXPECT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	/* mdevs cannot pin while a vaddr is invalid */
	EXPECT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	EXPECT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
}

TEST_F(map, bad_flags_and_argsz)
{
	int fd = self->env.container;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map) - 1, .flags = RW,
		.vaddr = (uintptr_t)self->buf, .iova = IOVA_BASE, .size = SZ_4K,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap) - 1, .iova = IOVA_BASE, .size = SZ_4K,
	};

	EXPECT_EQ(-1, ioctl(fd, VFIO_IOMMU_MAP_DMA, &map));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	EXPECT_EQ(EINVAL, errno);
	dma_map_err(EINVAL, fd, IOVA_BASE, self->buf, SZ_4K, 0);
	dma_map_err(EINVAL, fd, IOVA_BASE, self->buf, SZ_4K, RW | (1u << 3));
	dma_map_err(EINVAL, fd, IOVA_BASE, self->buf, SZ_4K, RW | VFIO_DMA_MAP_FLAG_VADDR);
	dma_unmap_err(EINVAL, fd, IOVA_BASE, SZ_4K, 1u << 3);
	EXPECT_EQ(-1, ioctl(fd, _IO(VFIO_TYPE, VFIO_BASE + 40)));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(map, unaligned)
{
	int fd = self->env.container;

	dma_map_err(EINVAL, fd, IOVA_BASE + 1, self->buf, SZ_4K, RW);
	dma_map_err(EINVAL, fd, IOVA_BASE + SZ_4K / 2, self->buf, SZ_4K, RW);
	dma_map_err(EINVAL, fd, IOVA_BASE, self->buf + 1, SZ_4K, RW);
	dma_map_err(EINVAL, fd, IOVA_BASE, self->buf, SZ_4K + 1, RW);
	dma_map_err(EINVAL, fd, IOVA_BASE, self->buf, SZ_4K - 1, RW);
	dma_map(fd, IOVA_BASE, self->buf, 2 * SZ_4K);
	dma_unmap_err(EINVAL, fd, IOVA_BASE + 1, SZ_4K, 0);
	dma_unmap_err(EINVAL, fd, IOVA_BASE, SZ_4K + 1, 0);
	dma_unmap(fd, IOVA_BASE, 2 * SZ_4K);
}

TEST_F(map, zero_size)
{
	int fd = self->env.container;

	dma_map_err(EINVAL, fd, IOVA_BASE, self->buf, 0, RW);
	dma_unmap_err(EINVAL, fd, IOVA_BASE, 0, 0);
}

TEST_F(map, wrapping)
{
	int fd = self->env.container;

	dma_map_err(EINVAL, fd, ~0ULL - SZ_4K + 1, self->buf, 2 * SZ_4K, RW);
	dma_map_err(EINVAL, fd, IOVA_BASE, (void *)(~0UL - SZ_4K + 1), 2 * SZ_4K, RW);
	dma_unmap_err(EINVAL, fd, ~0ULL - SZ_4K + 1, 2 * SZ_4K, 0);
	/* the last page of the IOVA space is fine without a physical group */
	dma_map(fd, ~0ULL - SZ_4K + 1, self->buf, SZ_4K);
	dma_unmap_err(0, fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
}

TEST_F(map, overlap)
{
	int fd = self->env.container;
	char *b = self->buf;

	dma_map(fd, IOVA_BASE + 4 * SZ_4K, b, 4 * SZ_4K);
	dma_map_err(EEXIST, fd, IOVA_BASE + 4 * SZ_4K, b, 4 * SZ_4K, RW);
	dma_map_err(EEXIST, fd, IOVA_BASE + 2 * SZ_4K, b, 4 * SZ_4K, RW);
	dma_map_err(EEXIST, fd, IOVA_BASE + 7 * SZ_4K, b, 4 * SZ_4K, RW);
	dma_map_err(EEXIST, fd, IOVA_BASE + 5 * SZ_4K, b, SZ_4K, RW);
	dma_map_err(EEXIST, fd, IOVA_BASE, b, 16 * SZ_4K, RW);
	/* adjacent on both sides is fine */
	dma_map(fd, IOVA_BASE + 3 * SZ_4K, b, SZ_4K);
	dma_map(fd, IOVA_BASE + 8 * SZ_4K, b, SZ_4K);
	dma_unmap(fd, IOVA_BASE + 3 * SZ_4K, 6 * SZ_4K);
}

/* Overlaps found deep in a tree of many mappings, every other 4 KiB taken. */
TEST_F(map, overlap_many)
{
	int fd = self->env.container;
	char *b = self->buf;
	int i;

	for (i = 0; i < 256; i++)
		dma_map(fd, IOVA_BASE + 2 * i * SZ_4K, b, SZ_4K);
	for (i = 0; i < 255; i += 17) {
		dma_map_err(EEXIST, fd, IOVA_BASE + 2 * i * SZ_4K, b, SZ_4K, RW);
		/* a gap and the mapping after it */
		dma_map_err(EEXIST, fd, IOVA_BASE + (2 * i + 1) * SZ_4K, b, 2 * SZ_4K, RW);
		/* the gaps either side */
		dma_map_err(EEXIST, fd, IOVA_BASE + (2 * i + 1) * SZ_4K, b, 3 * SZ_4K, RW);
		dma_map(fd, IOVA_BASE + (2 * i + 1) * SZ_4K, b, SZ_4K);
	}
	/* just past the last one */
	dma_map(fd, IOVA_BASE + 2 * 256 * SZ_4K, b, SZ_4K);
	dma_unmap_err(0, fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
}

/* v2: an unmap may not bisect a mapping; v1: it unmaps nothing or whole mappings. */
TEST_F(map, unmap_bisect)
{
	int fd = self->env.container;
	uint64_t size;

	dma_map(fd, IOVA_BASE, self->buf, 4 * SZ_4K);
	size = SZ_4K;
	if (variant->type == VFIO_TYPE1v2_IOMMU) {
		ASSERT_EQ(-EINVAL, __dma_unmap(fd, IOVA_BASE + SZ_4K, &size, 0));
		size = SZ_4K;
		ASSERT_EQ(-EINVAL, __dma_unmap(fd, IOVA_BASE, &size, 0));
		dma_unmap(fd, IOVA_BASE, 4 * SZ_4K);
	} else {
		ASSERT_EQ(0, __dma_unmap(fd, IOVA_BASE + SZ_4K, &size, 0));
		EXPECT_EQ(0, size);
		size = SZ_4K;
		ASSERT_EQ(0, __dma_unmap(fd, IOVA_BASE, &size, 0));
		EXPECT_EQ(4 * SZ_4K, size);
	}
	/* nothing there: success, nothing unmapped */
	size = SZ_4K;
	ASSERT_EQ(0, __dma_unmap(fd, IOVA_BASE, &size, 0));
	EXPECT_EQ(0, size);

	/* two mappings with a gap between: a range over the first that ends in the second */
	dma_map(fd, IOVA_BASE, self->buf, 4 * SZ_4K);
	dma_map(fd, IOVA_BASE + 8 * SZ_4K, self->buf, 4 * SZ_4K);
	size = 10 * SZ_4K;
	if (variant->type == VFIO_TYPE1v2_IOMMU) {
		ASSERT_EQ(-EINVAL, __dma_unmap(fd, IOVA_BASE, &size, 0));
		/* from the gap, ending in the second */
		size = 6 * SZ_4K;
		ASSERT_EQ(-EINVAL, __dma_unmap(fd, IOVA_BASE + 4 * SZ_4K, &size, 0));
		/* from the gap, the whole second */
		size = 8 * SZ_4K;
		ASSERT_EQ(0, __dma_unmap(fd, IOVA_BASE + 4 * SZ_4K, &size, 0));
		EXPECT_EQ(4 * SZ_4K, size);
		dma_unmap(fd, IOVA_BASE, 4 * SZ_4K);
	} else {
		/* v1 unmaps every mapping that starts in the range, whole */
		ASSERT_EQ(0, __dma_unmap(fd, IOVA_BASE, &size, 0));
		EXPECT_EQ(8 * SZ_4K, size);
	}
}

TEST_F(map, unmap_all)
{
	int fd = self->env.container;
	uint64_t size;
	int i;

	for (i = 0; i < 8; i++)
		dma_map(fd, IOVA_BASE + i * SZ_2M, self->buf + i * SZ_2M, SZ_2M);
	dma_map(fd, ~0ULL - SZ_4K + 1, self->buf, SZ_4K);
	dma_unmap_err(EINVAL, fd, SZ_4K, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	dma_unmap_err(EINVAL, fd, 0, SZ_4K, VFIO_DMA_UNMAP_FLAG_ALL);
	size = 0;
	ASSERT_EQ(0, __dma_unmap(fd, 0, &size, VFIO_DMA_UNMAP_FLAG_ALL));
	EXPECT_EQ(8 * SZ_2M + SZ_4K, size);
	size = 0;
	ASSERT_EQ(0, __dma_unmap(fd, 0, &size, VFIO_DMA_UNMAP_FLAG_ALL));
	EXPECT_EQ(0, size);
}

/* mdevs pin through vaddr: invalidating it is refused while one is attached. */
TEST_F(map, vaddr_busy_with_mdev)
{
	int fd = self->env.container;

	dma_map(fd, IOVA_BASE, self->buf, SZ_4K);
	dma_unmap_err(EBUSY, fd, IOVA_BASE, SZ_4K, VFIO_DMA_UNMAP_FLAG_VADDR);
	dma_map_err(EINVAL, fd, IOVA_BASE, self->buf, SZ_4K, VFIO_DMA_MAP_FLAG_VADDR);
	dma_map_err(ENOENT, fd, IOVA_BASE + SZ_2M, self->buf, SZ_4K,
		    VFIO_DMA_MAP_FLAG_VADDR);
	dma_unmap(fd, IOVA_BASE, SZ_4K);
}

TEST_F(map, many)
{
	int fd = self->env.container;
	uint64_t size;
	int i;

	for (i = 0; i < 1024; i++)
		dma_map(fd, IOVA_BASE + i * SZ_4K, self->buf + i * SZ_4K, SZ_4K);
	for (i = 0; i < 1024; i += 2)
		dma_unmap(fd, IOVA_BASE + i * SZ_4K, SZ_4K);
	size = 1024 * SZ_4K;
	ASSERT_EQ(0, __dma_unmap(fd, IOVA_BASE, &size, 0));
	EXPECT_EQ(512 * SZ_4K, size);
}

/* dma_entry_limit is read when the container is set up. */
TEST_F(map, entry_limit)
{
	char old[32];
	int fd, i;

	ASSERT_EQ(0, sysfs_attr_read(LIMIT_PARAM, old, sizeof(old)));
	t1_close(&self->env);
	ASSERT_EQ(0, sysfs_attr_write(LIMIT_PARAM, "16"));
	i = t1_open_mdev(&self->env, "mtty", variant->type);
	ASSERT_EQ(0, sysfs_attr_write(LIMIT_PARAM, old));
	ASSERT_EQ(0, i);
	fd = self->env.container;
	for (i = 0; i < 16; i++)
		dma_map(fd, IOVA_BASE + i * SZ_4K, self->buf, SZ_4K);
	dma_map_err(ENOSPC, fd, IOVA_BASE + 16 * SZ_4K, self->buf, SZ_4K, RW);
	dma_unmap(fd, IOVA_BASE, SZ_4K);
	dma_map(fd, IOVA_BASE + 16 * SZ_4K, self->buf, SZ_4K);
	/* released on close, nothing unmapped first */
}

TEST_HARNESS_MAIN
