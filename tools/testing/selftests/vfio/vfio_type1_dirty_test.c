// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty page tracking of the type1 backend (VFIO_IOMMU_DIRTY_PAGES, unmap with bitmap),
 * through an emulated group: the vGPU sample when loaded (its copy engine pins and writes
 * guest memory, so device-driven tests run), else the kernel's mtty sample (those SKIP).
 * Emulated containers pin nothing at MAP_DMA, so ranges up to 64 GiB are cheap.
 * Every test also checks that locked memory returns to where it started.
 */
#include "kselftest_harness.h"
#include "type1_util.h"
#include "../../../../samples/vgpu/vgpu_regs.h"

#define IOVA_BASE	(1ULL << 40)

/* The vGPU copy engine, through the device fd's BAR2 region. */
static int vgpu_bar2(int device, uint64_t *offset)
{
	struct vfio_region_info info = { .argsz = sizeof(info), .index = VGPU_MMIO_BAR };

	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -errno;
	*offset = info.offset;
	return 0;
}

static int vgpu_wr(int device, uint64_t bar, uint32_t reg, uint32_t val)
{
	return pwrite(device, &val, 4, bar + reg) == 4 ? 0 : -EIO;
}

static uint32_t vgpu_rd(int device, uint64_t bar, uint32_t reg)
{
	uint32_t val = ~0u;

	if (pread(device, &val, 4, bar + reg) != 4)
		return ~0u;
	return val;
}

/* Run one copy-engine command. Return: VGPU_CE_ERR_* or -errno. */
static int vgpu_ce(int device, uint32_t cmd, uint64_t iova, uint32_t len, uint32_t ctrl)
{
	uint64_t bar = 0;
	uint32_t st = 0;
	int i, ret = vgpu_bar2(device, &bar);

	if (ret)
		return ret;
	vgpu_wr(device, bar, VGPU_CE_STATUS, ~0u);
	vgpu_wr(device, bar, VGPU_CE_IOVA_LO, (uint32_t)iova);
	vgpu_wr(device, bar, VGPU_CE_IOVA_HI, iova >> 32);
	vgpu_wr(device, bar, VGPU_CE_VRAM_OFF, 0);
	vgpu_wr(device, bar, VGPU_CE_LEN, len);
	vgpu_wr(device, bar, VGPU_CE_CMD, cmd);
	vgpu_wr(device, bar, VGPU_CE_CTRL, ctrl);
	ret = vgpu_wr(device, bar, VGPU_CE_DOORBELL, 1);
	if (ret)
		return ret;
	for (i = 0; i < 100000; i++) {
		st = vgpu_rd(device, bar, VGPU_CE_STATUS);
		if (st & (VGPU_CE_STATUS_DONE | VGPU_CE_STATUS_ERROR))
			break;
		usleep(10);
	}
	if (!(st & (VGPU_CE_STATUS_DONE | VGPU_CE_STATUS_ERROR)))
		return -ETIMEDOUT;
	return vgpu_rd(device, bar, VGPU_CE_ERROR);
}

static uint32_t vgpu_pinned(int device)
{
	uint64_t bar = 0;

	if (vgpu_bar2(device, &bar))
		return ~0u;
	return vgpu_rd(device, bar, VGPU_CE_PINNED);
}

FIXTURE(dirty) {
	struct t1_env env;
	bool vgpu;
	long locked_kb;
};

FIXTURE_VARIANT(dirty) {
	int type;
};

FIXTURE_VARIANT_ADD(dirty, type1) { .type = VFIO_TYPE1_IOMMU };
FIXTURE_VARIANT_ADD(dirty, type1v2) { .type = VFIO_TYPE1v2_IOMMU };

FIXTURE_SETUP(dirty)
{
	int ret;

	self->locked_kb = vm_locked_kb();
	self->vgpu = !t1_open_mdev(&self->env, "vgpu", variant->type);
	if (!self->vgpu) {
		t1_close(&self->env);
		ret = t1_open_mdev(&self->env, "mtty", variant->type);
		if (ret)
			SKIP(return, "no vgpu or mtty mdev type (%s)", strerror(-ret));
	}
}

FIXTURE_TEARDOWN(dirty)
{
	t1_close(&self->env);
	EXPECT_EQ(self->locked_kb, vm_locked_kb());
}

/*
 * Type1 (v1) containers have no dirty tracking: every request is -EACCES. Checks that
 * on a v1 container and returns false there; test bodies stop when it does.
 */
static bool dirty_tracking(struct __test_metadata *_metadata, int type, int fd)
{
	if (type != VFIO_TYPE1_IOMMU)
		return true;
	dirty_err(EACCES, fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_START);
	dirty_err(EACCES, fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
	return false;
}

/* The device-driven tests need the vGPU sample; with mtty they SKIP. */
static bool vgpu_loaded(struct __test_metadata *_metadata, bool vgpu)
{
	if (vgpu)
		return true;
	SKIP(return false, "the vGPU sample is not loaded (mtty pins nothing)");
}

TEST_F(dirty, start_stop_get)
{
	int fd = self->env.container;
	uint64_t bm[4] = { ~0ULL, ~0ULL, ~0ULL, ~0ULL };
	void *buf = t1_mmap(64 * SZ_4K);

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	ASSERT_NE(NULL, buf);
	dma_map(fd, IOVA_BASE, buf, 64 * SZ_4K);
	dirty_start(fd);
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ(0, bm[0]);
	EXPECT_EQ(~0ULL, bm[1]);	/* past the bitmap: untouched */
	dirty_stop(fd);
	dirty_get_err(EINVAL, fd, IOVA_BASE, 64 * SZ_4K, SZ_4K, bm, 8);
	dma_unmap(fd, IOVA_BASE, 64 * SZ_4K);
	munmap(buf, 64 * SZ_4K);
}

TEST_F(dirty, get_without_start)
{
	int fd = self->env.container;
	uint64_t bm = 0;
	void *buf = t1_mmap(SZ_4K);

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	dma_map(fd, IOVA_BASE, buf, SZ_4K);
	dirty_get_err(EINVAL, fd, IOVA_BASE, SZ_4K, SZ_4K, &bm, 8);
	dma_unmap(fd, IOVA_BASE, SZ_4K);
	munmap(buf, SZ_4K);
}

TEST_F(dirty, start_twice)
{
	int fd = self->env.container;

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	dirty_start(fd);
	dirty_start(fd);
	dirty_stop(fd);
	dirty_stop(fd);
}

TEST_F(dirty, bad_flags)
{
	int fd = self->env.container;
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d) };

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	dirty_err(EINVAL, fd, 0);
	dirty_err(EINVAL, fd, VFIO_IOMMU_DIRTY_PAGES_FLAG_START |
		  VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP);
	dirty_err(EINVAL, fd, 1u << 3);
	/* short argsz */
	d.argsz = sizeof(d) - 1;
	d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	EXPECT_EQ(-1, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &d));
	EXPECT_EQ(EINVAL, errno);
	/* GET_BITMAP without room for the range */
	d.argsz = sizeof(d);
	d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	EXPECT_EQ(-1, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, &d));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dirty, wrong_pgsize)
{
	int fd = self->env.container;
	uint64_t bm[8] = {};
	void *buf = t1_mmap(SZ_2M);

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	dma_map(fd, IOVA_BASE, buf, SZ_2M);
	dirty_start(fd);
	dirty_get_err(EINVAL, fd, IOVA_BASE, SZ_2M, 2 * SZ_4K, bm, sizeof(bm));
	dirty_get_err(EINVAL, fd, IOVA_BASE, SZ_2M, SZ_2M, bm, sizeof(bm));
	dirty_get_err(EINVAL, fd, IOVA_BASE, SZ_2M, SZ_4K / 2, bm, sizeof(bm));
	dirty_get(fd, IOVA_BASE, SZ_2M, bm, sizeof(bm));
	dma_unmap(fd, IOVA_BASE, SZ_2M);
	munmap(buf, SZ_2M);
}

TEST_F(dirty, short_bitmap)
{
	int fd = self->env.container;
	uint64_t bm[32] = {};
	void *buf = t1_mmap(SZ_2M);

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	dma_map(fd, IOVA_BASE, buf, SZ_2M);
	dirty_start(fd);
	/* 512 pages need 64 bytes */
	dirty_get_err(EINVAL, fd, IOVA_BASE, SZ_2M, SZ_4K, bm, 56);
	dirty_get_err(EINVAL, fd, IOVA_BASE, SZ_2M, SZ_4K, bm, 0);
	dirty_get_err(EINVAL, fd, IOVA_BASE, 0, SZ_4K, bm, 64);
	dirty_get_err(EINVAL, fd, IOVA_BASE + 1, SZ_2M, SZ_4K, bm, 64);
	dirty_get_err(EINVAL, fd, IOVA_BASE, SZ_2M - 1, SZ_4K, bm, 64);
	dirty_get_err(EINVAL, fd, ~0ULL - SZ_4K + 1, SZ_2M, SZ_4K, bm, 64);
	/* over the advertised maximum */
	dirty_get_err(EINVAL, fd, IOVA_BASE, SZ_2M, SZ_4K, bm, 1ULL << 40);
	/* bisecting the mapping */
	dirty_get_err(EINVAL, fd, IOVA_BASE + SZ_4K, SZ_2M - SZ_4K, SZ_4K, bm, 64);
	dirty_get_err(EINVAL, fd, IOVA_BASE, SZ_2M - SZ_4K, SZ_4K, bm, 64);
	dirty_get(fd, IOVA_BASE, SZ_2M, bm, 64);
	/* a second mapping after a gap: over the first, ending inside the second */
	dma_map(fd, IOVA_BASE + 2 * SZ_2M, buf, SZ_2M);
	dirty_get_err(EINVAL, fd, IOVA_BASE, 2 * SZ_2M + SZ_4K, SZ_4K, bm, 256);
	dirty_get_err(EINVAL, fd, IOVA_BASE + SZ_2M, SZ_2M + SZ_4K, SZ_4K, bm, 256);
	dirty_get(fd, IOVA_BASE, 3 * SZ_2M, bm, 256);
	dma_unmap(fd, IOVA_BASE + 2 * SZ_2M, SZ_2M);
	dma_unmap(fd, IOVA_BASE, SZ_2M);
	munmap(buf, SZ_2M);
}

TEST_F(dirty, unmap_bitmap)
{
	int fd = self->env.container;
	uint64_t bm[8], unmapped = 0, size;
	void *buf = t1_mmap(SZ_2M);

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	dma_map(fd, IOVA_BASE, buf, SZ_2M);
	/* not tracking */
	ASSERT_EQ(-EINVAL, __dma_unmap_bitmap(fd, IOVA_BASE, SZ_2M, SZ_4K, bm, 64, NULL));
	dirty_start(fd);
	ASSERT_EQ(-EINVAL, __dma_unmap_bitmap(fd, IOVA_BASE, SZ_2M, SZ_2M, bm, 64, NULL));
	ASSERT_EQ(-EINVAL, __dma_unmap_bitmap(fd, IOVA_BASE, SZ_2M, SZ_4K, bm, 32, NULL));
	size = 0;
	ASSERT_EQ(-EINVAL, __dma_unmap(fd, 0, &size, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
				       VFIO_DMA_UNMAP_FLAG_ALL));
	memset(bm, 0xff, sizeof(bm));
	ASSERT_EQ(0, __dma_unmap_bitmap(fd, IOVA_BASE, SZ_2M, SZ_4K, bm, 64, &unmapped));
	EXPECT_EQ(SZ_2M, unmapped);
	EXPECT_EQ(0, t1_popcount(bm, 64));
	dirty_stop(fd);
	munmap(buf, SZ_2M);
}

/* Ranges of every size: bitmaps of the right length, zeroed, nothing written past them. */
TEST_F(dirty, ranges)
{
	static const uint64_t sizes[] = { SZ_4K, SZ_2M, SZ_1G, 64 * SZ_1G };
	int fd = self->env.container;
	unsigned int i;

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	dirty_start(fd);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint64_t size = sizes[i], bytes = t1_bitmap_bytes(size);
		uint64_t *bm = malloc(bytes + 8);
		void *buf = t1_mmap(size);

		ASSERT_NE(NULL, buf);
		ASSERT_NE(NULL, bm);
		dma_map(fd, IOVA_BASE, buf, size);
		memset(bm, 0xff, bytes + 8);
		dirty_get(fd, IOVA_BASE, size, bm, bytes);
		EXPECT_EQ(0, t1_popcount(bm, bytes));
		EXPECT_EQ(~0ULL, bm[bytes / 8]);
		if (self->vgpu) {
			uint64_t last = size - SZ_4K;

			ASSERT_EQ(0, vgpu_ce(self->env.device, VGPU_CE_CMD_FROM_VRAM,
					     IOVA_BASE + last, 16, 0));
			dirty_get(fd, IOVA_BASE, size, bm, bytes);
			EXPECT_EQ(1, t1_popcount(bm, bytes));
			EXPECT_TRUE(t1_test_bit(bm, last / SZ_4K));
			dirty_get(fd, IOVA_BASE, size, bm, bytes);
			EXPECT_EQ(0, t1_popcount(bm, bytes));
		}
		dma_unmap(fd, IOVA_BASE, size);
		munmap(buf, size);
		free(bm);
	}
	dirty_stop(fd);
}

/* Pages the device writes (through vfio_dma_rw and through pins) show up exactly once. */
TEST_F(dirty, device_writes)
{
	int fd = self->env.container, dev = self->env.device;
	uint64_t bm[1];
	char *buf;

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	if (!vgpu_loaded(_metadata, self->vgpu))
		return;
	buf = t1_mmap(64 * SZ_4K);
	memset(buf, 0, 64 * SZ_4K);
	dma_map(fd, IOVA_BASE, buf, 64 * SZ_4K);
	dirty_start(fd);
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_FROM_VRAM, IOVA_BASE + 3 * SZ_4K, 64, 0));
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_FROM_VRAM, IOVA_BASE + 10 * SZ_4K, SZ_4K + 8,
			     VGPU_CE_CTRL_USE_PIN));
	ASSERT_EQ(0, vgpu_pinned(dev));
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ((1ULL << 3) | (1ULL << 10) | (1ULL << 11), bm[0]);
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ(0, bm[0]);
	/* reading through the device does not dirty */
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_TO_VRAM, IOVA_BASE, 64 * SZ_4K, 0));
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ(0, bm[0]);
	dirty_stop(fd);
	dma_unmap(fd, IOVA_BASE, 64 * SZ_4K);
	munmap(buf, 64 * SZ_4K);
}

/* A page held pinned is dirty at START and at every read until it is unpinned. */
TEST_F(dirty, held_pins)
{
	int fd = self->env.container, dev = self->env.device;
	uint64_t bm[1];
	char *buf;

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	if (!vgpu_loaded(_metadata, self->vgpu))
		return;
	buf = t1_mmap(64 * SZ_4K);
	memset(buf, 0, 64 * SZ_4K);
	dma_map(fd, IOVA_BASE, buf, 64 * SZ_4K);
	/* runs of one page at both ends and in the middle, and one of eight */
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_PIN, IOVA_BASE, SZ_4K, 0));
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_PIN, IOVA_BASE + 20 * SZ_4K, SZ_4K, 0));
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_PIN, IOVA_BASE + 30 * SZ_4K, 8 * SZ_4K, 0));
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_PIN, IOVA_BASE + 63 * SZ_4K, SZ_4K, 0));
	ASSERT_EQ(11, vgpu_pinned(dev));
	dirty_start(fd);
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ(1ULL | 1ULL << 20 | 0xffULL << 30 | 1ULL << 63, bm[0]);
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ(1ULL | 1ULL << 20 | 0xffULL << 30 | 1ULL << 63, bm[0]);
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_UNPIN, IOVA_BASE + 20 * SZ_4K, 18 * SZ_4K, 0));
	ASSERT_EQ(2, vgpu_pinned(dev));
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ(1ULL | 1ULL << 20 | 0xffULL << 30 | 1ULL << 63, bm[0]);
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ(1ULL | 1ULL << 63, bm[0]);
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_UNPIN, IOVA_BASE, 64 * SZ_4K, 0));
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ(1ULL | 1ULL << 63, bm[0]);
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ(0, bm[0]);
	dirty_stop(fd);
	dma_unmap(fd, IOVA_BASE, 64 * SZ_4K);
	munmap(buf, 64 * SZ_4K);
}

/* Unmap with bitmap reports the device's writes; unmapping makes the device unpin. */
TEST_F(dirty, unmap_bitmap_device)
{
	int fd = self->env.container, dev = self->env.device;
	uint64_t bm[1], unmapped = 0;
	char *buf;

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	if (!vgpu_loaded(_metadata, self->vgpu))
		return;
	buf = t1_mmap(64 * SZ_4K);
	memset(buf, 0, 64 * SZ_4K);
	dma_map(fd, IOVA_BASE, buf, 32 * SZ_4K);
	dma_map(fd, IOVA_BASE + 32 * SZ_4K, buf + 32 * SZ_4K, 32 * SZ_4K);
	dirty_start(fd);
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_FROM_VRAM, IOVA_BASE + 5 * SZ_4K, 8, 0));
	ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_PIN, IOVA_BASE + 40 * SZ_4K, 2 * SZ_4K, 0));
	ASSERT_EQ(2, vgpu_pinned(dev));
	bm[0] = 0;
	ASSERT_EQ(0, __dma_unmap_bitmap(fd, IOVA_BASE, 64 * SZ_4K, SZ_4K, bm, 8, &unmapped));
	EXPECT_EQ(64 * SZ_4K, unmapped);
	EXPECT_EQ((1ULL << 5) | (3ULL << 40), bm[0]);
	EXPECT_EQ(0, vgpu_pinned(dev));
	dirty_stop(fd);
	munmap(buf, 64 * SZ_4K);
}

/* New mappings made while tracking get bitmaps too. */
TEST_F(dirty, map_while_tracking)
{
	int fd = self->env.container, dev = self->env.device;
	uint64_t bm[1];
	char *buf;

	if (!dirty_tracking(_metadata, variant->type, fd))
		return;
	dirty_start(fd);
	buf = t1_mmap(64 * SZ_4K);
	memset(buf, 0, 64 * SZ_4K);
	dma_map(fd, IOVA_BASE, buf, 64 * SZ_4K);
	if (self->vgpu)
		ASSERT_EQ(0, vgpu_ce(dev, VGPU_CE_CMD_FROM_VRAM, IOVA_BASE + 63 * SZ_4K, 8, 0));
	dirty_get(fd, IOVA_BASE, 64 * SZ_4K, bm, 8);
	EXPECT_EQ(self->vgpu ? 1ULL << 63 : 0, bm[0]);
	dirty_stop(fd);
	dma_unmap(fd, IOVA_BASE, 64 * SZ_4K);
	munmap(buf, 64 * SZ_4K);
}

TEST_HARNESS_MAIN
