// SPDX-License-Identifier: GPL-2.0-only
/*
 * Direct tests of the vGPU sample device through the VFIO uAPI: this program is the VFIO
 * user (container, group, device) of one vGPU instance. Config space and BAR sizing, the
 * regions, the dispi registers, VRAM through mmap, the copy engine (both paths, errors,
 * pins, their release in runs and on unmap, their locked-memory charge and
 * RLIMIT_MEMLOCK), interrupts, dirty page tracking of what the engine
 * writes, the gfx plane and dma-buf, reset, the request interrupt on removal, and the
 * available_instances arithmetic of the profiles.
 * Needs vgpu.ko loaded with gpus=2 (GPU 0 for instances under test, GPU 1 for placement).
 */
#include <poll.h>
#include <stddef.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "ipc_lock.h"
#include "proc_kb.h"
#include "vgpu_lib.h"

#define IOVA		0x100000ull
#define MEMSZ		(4ul << 20)
#define PAGE		4096ul

#define DISPI_ID		0x0
#define DISPI_XRES		0x1
#define DISPI_YRES		0x2
#define DISPI_BPP		0x3
#define DISPI_ENABLE		0x4
#define DISPI_VIRT_WIDTH	0x6
#define DISPI_Y_OFFSET		0x9
#define DISPI_VIDEO_MEMORY_64K	0xa
#define DRM_FORMAT_XRGB8888	0x34325258
#define DRM_PLANE_TYPE_PRIMARY	1

static bool have_vgpu(void)
{
	return access("/sys/class/mdev_bus/vgpu0", F_OK) == 0;
}

FIXTURE(vgpu) {
	struct vgpu_dev v;
	char uuid[37];
	uint8_t *mem;
	uint64_t vram;
	uint8_t *bar;	/* BAR0 mapping, owned by the fixture (a mapping keeps the device open) */
};

FIXTURE_SETUP(vgpu)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info), .index = VFIO_PCI_BAR0_REGION_INDEX,
	};

	self->v.container = self->v.group = self->v.device = -1;
	self->uuid[0] = 0;
	self->bar = NULL;
	if (!have_vgpu())
		SKIP(return, "vgpu.ko not loaded");
	ASSERT_EQ(0, __mdev_create(0, "quarter", self->uuid));
	ASSERT_EQ(0, __vgpu_open(&self->v, self->uuid));
	ASSERT_EQ(0, __vgpu_mem_map(&self->v, &self->mem, IOVA, MEMSZ));
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_REGION_INFO, &info));
	self->vram = info.size;
}

FIXTURE_TEARDOWN(vgpu)
{
	if (self->bar && self->bar != MAP_FAILED)
		munmap(self->bar, self->vram);
	vgpu_close(&self->v);
	if (self->mem && self->mem != MAP_FAILED)
		munmap(self->mem, MEMSZ);
	if (self->uuid[0])
		__mdev_remove(self->uuid);
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed + (i >> 12));
}

TEST_F(vgpu, device_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, info.flags);
	EXPECT_EQ(VFIO_PCI_NUM_REGIONS + 1, info.num_regions);
	EXPECT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);
	info.argsz = offsetof(struct vfio_device_info, num_irqs);
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(vgpu, region_info)
{
	struct {
		struct vfio_region_info info;
		struct vfio_region_info_cap_type type;
	} r;
	struct vfio_region_info info = { .argsz = sizeof(info) };
	const uint32_t rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	EXPECT_EQ(256ull << 20, self->vram * 4);
	info.index = VFIO_PCI_BAR0_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_REGION_INFO, &info));
	EXPECT_EQ(rw | VFIO_REGION_INFO_FLAG_MMAP, info.flags);
	EXPECT_EQ(REGION_OFFSET(0), info.offset);
	info.index = VFIO_PCI_BAR2_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_REGION_INFO, &info));
	EXPECT_EQ(rw, info.flags);
	EXPECT_EQ(VGPU_MMIO_SIZE, info.size);
	info.index = VFIO_PCI_CONFIG_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_REGION_INFO, &info));
	EXPECT_EQ(256, info.size);
	info.index = VFIO_PCI_BAR1_REGION_INDEX;
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_REGION_INFO, &info));
	EXPECT_EQ(0, info.size);
	EXPECT_EQ(0, info.flags);
	/* the scanout region: caps do not fit in a bare info, argsz tells how much is needed */
	info.index = VGPU_SCANOUT_REGION;
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_REGION_INFO, &info));
	EXPECT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_MMAP |
		  VFIO_REGION_INFO_FLAG_CAPS, info.flags);
	EXPECT_EQ(sizeof(r), info.argsz);
	/* big enough for the quarter profile's largest mode, 1920x1200 */
	EXPECT_EQ(1920 * 1200 * 4, info.size);
	memset(&r, 0, sizeof(r));
	r.info.argsz = sizeof(r);
	r.info.index = VGPU_SCANOUT_REGION;
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_REGION_INFO, &r));
	ASSERT_EQ(sizeof(r.info), r.info.cap_offset);
	EXPECT_EQ(VFIO_REGION_INFO_CAP_TYPE, r.type.header.id);
	EXPECT_EQ(VFIO_REGION_TYPE_PCI_VENDOR_TYPE | VGPU_VENDOR_ID, r.type.type);
	info.index = VGPU_SCANOUT_REGION + 1;
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_GET_REGION_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.index = 0;
	info.argsz = offsetof(struct vfio_region_info, offset);
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_GET_REGION_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(vgpu, config_header)
{
	uint32_t msi;

	EXPECT_EQ(VGPU_VENDOR_ID | VGPU_DEVICE_ID << 16, cfg_rd32(&self->v, PCI_VENDOR_ID));
	EXPECT_EQ(0x03800001, cfg_rd32(&self->v, PCI_CLASS_REVISION));
	EXPECT_EQ(PCI_STATUS_CAP_LIST, cfg_rd32(&self->v, PCI_COMMAND) >> 16);
	EXPECT_EQ(1, (cfg_rd32(&self->v, PCI_INTERRUPT_LINE) >> 8) & 0xff);
	EXPECT_EQ(0x40, cfg_rd32(&self->v, PCI_CAPABILITY_LIST) & 0xff);
	msi = cfg_rd32(&self->v, 0x40);
	EXPECT_EQ(PCI_CAP_ID_MSI, msi & 0xff);
	EXPECT_EQ(0, (msi >> 8) & 0xff);
	EXPECT_EQ(PCI_MSI_FLAGS_64BIT, msi >> 16);
	/* IDs are read-only */
	cfg_wr32(&self->v, PCI_VENDOR_ID, 0);
	EXPECT_EQ(VGPU_VENDOR_ID | VGPU_DEVICE_ID << 16, cfg_rd32(&self->v, PCI_VENDOR_ID));
	/* out of range */
	EXPECT_EQ(-EINVAL, __region_rw(&self->v, VFIO_PCI_CONFIG_REGION_INDEX, 254, &msi, 4,
				       false));
}

TEST_F(vgpu, bar_sizing)
{
	cfg_wr32(&self->v, PCI_BASE_ADDRESS_0, ~0u);
	EXPECT_EQ((uint32_t)~(self->vram - 1) | PCI_BASE_ADDRESS_MEM_PREFETCH,
		  cfg_rd32(&self->v, PCI_BASE_ADDRESS_0));
	cfg_wr32(&self->v, PCI_BASE_ADDRESS_2, ~0u);
	EXPECT_EQ(~(uint32_t)(VGPU_MMIO_SIZE - 1), cfg_rd32(&self->v, PCI_BASE_ADDRESS_2));
	cfg_wr32(&self->v, PCI_BASE_ADDRESS_1, ~0u);
	EXPECT_EQ(0, cfg_rd32(&self->v, PCI_BASE_ADDRESS_1));
	cfg_wr32(&self->v, PCI_ROM_ADDRESS, ~0u);
	EXPECT_EQ(0, cfg_rd32(&self->v, PCI_ROM_ADDRESS));
	cfg_wr32(&self->v, PCI_BASE_ADDRESS_0, 0xc0000000);
	EXPECT_EQ(0xc0000000 | PCI_BASE_ADDRESS_MEM_PREFETCH,
		  cfg_rd32(&self->v, PCI_BASE_ADDRESS_0));
	cfg_wr32(&self->v, PCI_BASE_ADDRESS_2, 0xd0001234);
	EXPECT_EQ(0xd0000000, cfg_rd32(&self->v, PCI_BASE_ADDRESS_2));
}

TEST_F(vgpu, command_and_msi)
{
	cfg_wr32(&self->v, PCI_COMMAND, 0xffff);
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE |
		  PCI_STATUS_CAP_LIST << 16, cfg_rd32(&self->v, PCI_COMMAND));
	cfg_wr32(&self->v, 0x40, 0xffffffff);
	EXPECT_EQ((PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE) << 16 | PCI_CAP_ID_MSI,
		  cfg_rd32(&self->v, 0x40));
	cfg_wr32(&self->v, 0x40 + PCI_MSI_ADDRESS_LO, 0xfee00003);
	EXPECT_EQ(0xfee00000, cfg_rd32(&self->v, 0x40 + PCI_MSI_ADDRESS_LO));
	cfg_wr32(&self->v, 0x40 + PCI_MSI_DATA_64, 0xffff4021);
	EXPECT_EQ(0x4021, cfg_rd32(&self->v, 0x40 + PCI_MSI_DATA_64));
}

TEST_F(vgpu, dispi_registers)
{
	EXPECT_EQ(0xb0c5, dispi_rd(&self->v, DISPI_ID));
	EXPECT_EQ(self->vram >> 16, dispi_rd(&self->v, DISPI_VIDEO_MEMORY_64K));
	dispi_wr(&self->v, DISPI_ID, 0xb0c0);
	EXPECT_EQ(0xb0c5, dispi_rd(&self->v, DISPI_ID));
	dispi_wr(&self->v, DISPI_XRES, 800);
	EXPECT_EQ(800, dispi_rd(&self->v, DISPI_XRES));
	/* VGA ports and the EDID block read as zero; wrong widths are ignored */
	EXPECT_EQ(0, mmio_rd32(&self->v, 0x400));
	EXPECT_EQ(0, mmio_rd32(&self->v, 0));
	dispi_wr(&self->v, DISPI_YRES, 600);
	mmio_wr32(&self->v, VGPU_DISPI_BASE + DISPI_YRES * 2, 0x12345678);
	EXPECT_EQ(600, dispi_rd(&self->v, DISPI_YRES));
	EXPECT_EQ(0, dispi_rd(&self->v, DISPI_BPP));
	EXPECT_EQ(-EINVAL, __region_rw(&self->v, VFIO_PCI_BAR2_REGION_INDEX, VGPU_MMIO_SIZE,
				       &self->vram, 4, false));
}

TEST_F(vgpu, vram_mmap)
{
	uint8_t *bar, buf[256];

	bar = mmap(NULL, self->vram, PROT_READ | PROT_WRITE, MAP_SHARED, self->v.device,
		   REGION_OFFSET(0));
	ASSERT_NE(MAP_FAILED, bar);
	fill(bar + self->vram - sizeof(buf), sizeof(buf), 3);
	ASSERT_EQ(0, __region_rw(&self->v, 0, self->vram - sizeof(buf), buf, sizeof(buf),
				 false));
	EXPECT_EQ(0, memcmp(buf, bar + self->vram - sizeof(buf), sizeof(buf)));
	munmap(bar, self->vram);
	bar = mmap(NULL, self->vram + PAGE, PROT_READ, MAP_SHARED, self->v.device, 0);
	EXPECT_EQ(MAP_FAILED, bar);
	EXPECT_EQ(EINVAL, errno);
	bar = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, self->v.device, 0);
	EXPECT_EQ(MAP_FAILED, bar);
	bar = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->v.device,
		   REGION_OFFSET(VFIO_PCI_BAR2_REGION_INDEX));
	EXPECT_EQ(MAP_FAILED, bar);
}

/* A copy through VRAM (mapped at @vram) and back into guest memory @mem, with @ctrl. */
static void ce_roundtrip(struct __test_metadata *_metadata, struct vgpu_dev *v, uint8_t *mem,
			 const uint8_t *vram, uint32_t ctrl)
{
	const uint32_t len = 3 * PAGE + 123, voff = 5 * PAGE + 77;

	fill(mem + 100, len, 9);
	ASSERT_EQ(0, ce_run(v, VGPU_CE_CMD_TO_VRAM, IOVA + 100, voff, len, ctrl));
	EXPECT_EQ(0, memcmp(vram + voff, mem + 100, len));
	ASSERT_EQ(0, ce_run(v, VGPU_CE_CMD_FROM_VRAM, IOVA + MEMSZ / 2 + 1, voff, len, ctrl));
	EXPECT_EQ(0, memcmp(mem + MEMSZ / 2 + 1, mem + 100, len));
	EXPECT_EQ(0, mmio_rd32(v, VGPU_CE_PINNED));
}

TEST_F(vgpu, ce_copy_dma_rw)
{
	self->bar = mmap(NULL, self->vram, PROT_READ | PROT_WRITE, MAP_SHARED, self->v.device,
			 0);
	ASSERT_NE(MAP_FAILED, self->bar);
	ce_roundtrip(_metadata, &self->v, self->mem, self->bar, 0);
}

TEST_F(vgpu, ce_copy_pinned)
{
	self->bar = mmap(NULL, self->vram, PROT_READ | PROT_WRITE, MAP_SHARED, self->v.device,
			 0);
	ASSERT_NE(MAP_FAILED, self->bar);
	ce_roundtrip(_metadata, &self->v, self->mem, self->bar, VGPU_CE_CTRL_USE_PIN);
}

TEST_F(vgpu, ce_errors)
{
	uint8_t *ro;

	EXPECT_EQ(VGPU_CE_ERR_LEN, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, 0, 0));
	EXPECT_EQ(VGPU_CE_ERR_LEN, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA, 0,
					  VGPU_CE_MAX_LEN + 1, 0));
	EXPECT_EQ(VGPU_CE_ERR_VRAM, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA,
					   self->vram - PAGE, 2 * PAGE, 0));
	EXPECT_EQ(VGPU_CE_ERR_VRAM, ce_run(&self->v, VGPU_CE_CMD_FROM_VRAM, IOVA, ~0u, 2, 0));
	EXPECT_EQ(VGPU_CE_ERR_IOVA, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA + MEMSZ, 0,
					   PAGE, 0));
	EXPECT_EQ(VGPU_CE_ERR_IOVA, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA + MEMSZ - PAGE,
					   0, 2 * PAGE, VGPU_CE_CTRL_USE_PIN));
	EXPECT_EQ(VGPU_CE_ERR_IOVA, ce_run(&self->v, VGPU_CE_CMD_FROM_VRAM, ~0ull - 10, 0,
					   PAGE, 0));
	EXPECT_EQ(VGPU_CE_ERR_IOVA, ce_run(&self->v, VGPU_CE_CMD_PIN, 0, 0, PAGE, 0));
	EXPECT_EQ(VGPU_CE_ERR_CMD, ce_run(&self->v, 0, IOVA, 0, PAGE, 0));
	EXPECT_EQ(VGPU_CE_ERR_CMD, ce_run(&self->v, 99, IOVA, 0, PAGE, 0));
	EXPECT_EQ(0, mmio_rd32(&self->v, VGPU_CE_PINNED));

	/* a read-only guest mapping: the engine may read it, not write it */
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, __dma_map(&self->v, ro, 0x10000000, PAGE, VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, 0x10000000, 0, PAGE, 0));
	/* pinned for reading, the untouched page is the zero page */
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, 0x10000000, 0, PAGE,
			    VGPU_CE_CTRL_USE_PIN));
	EXPECT_EQ(VGPU_CE_ERR_IOVA, ce_run(&self->v, VGPU_CE_CMD_FROM_VRAM, 0x10000000, 0,
					   PAGE, 0));
	EXPECT_EQ(VGPU_CE_ERR_IOVA, ce_run(&self->v, VGPU_CE_CMD_FROM_VRAM, 0x10000000, 0,
					   PAGE, VGPU_CE_CTRL_USE_PIN));
	EXPECT_EQ(0, __dma_unmap(&self->v, 0x10000000, PAGE));
	munmap(ro, PAGE);

	/* status is write-one-to-clear */
	EXPECT_EQ(VGPU_CE_STATUS_DONE | VGPU_CE_STATUS_ERROR,
		  mmio_rd32(&self->v, VGPU_CE_STATUS));
	mmio_wr32(&self->v, VGPU_CE_STATUS, VGPU_CE_STATUS_ERROR);
	EXPECT_EQ(VGPU_CE_STATUS_DONE, mmio_rd32(&self->v, VGPU_CE_STATUS));
}

TEST_F(vgpu, ce_pin_held_until_unpin_or_unmap)
{
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_PIN, IOVA + 10, 0, 2 * PAGE, 0));
	EXPECT_EQ(3, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_PIN, IOVA + PAGE, 0, 3 * PAGE, 0));
	EXPECT_EQ(4, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_UNPIN, IOVA, 0, 1, 0));
	EXPECT_EQ(3, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_PIN, IOVA + MEMSZ - PAGE, 0, PAGE, 0));
	EXPECT_EQ(4, mmio_rd32(&self->v, VGPU_CE_PINNED));
	/* unmapping the container's range makes type1 call dma_unmap: the pins go */
	EXPECT_EQ(0, __dma_unmap(&self->v, IOVA, MEMSZ));
	EXPECT_EQ(0, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(VGPU_CE_ERR_IOVA, ce_run(&self->v, VGPU_CE_CMD_PIN, IOVA, 0, PAGE, 0));
}

TEST_F(vgpu, ce_pins_dropped_on_close)
{
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_PIN, IOVA, 0, 16 * PAGE, 0));
	EXPECT_EQ(16, mmio_rd32(&self->v, VGPU_CE_PINNED));
	close(self->v.device);
	self->v.device = ioctl(self->v.group, VFIO_GROUP_GET_DEVICE_FD, self->uuid);
	ASSERT_LE(0, self->v.device);
	EXPECT_EQ(0, mmio_rd32(&self->v, VGPU_CE_PINNED));
	/* and the container can unmap: nothing is left pinned in type1 */
	EXPECT_EQ(0, __dma_unmap(&self->v, IOVA, MEMSZ));
}

/* This process's locked_vm, in pages (pins of an IOMMU-less container are charged there) */
static long vm_locked_pages(void)
{
	long kb = vm_locked_kb();

	return kb < 0 ? -1 : kb / (PAGE / 1024);
}

/*
 * Pins go back in runs: across two mappings, around a page unpinned alone, past the
 * 512 pages of one vfio_unpin_pages() call, and with a page that a pinned copy holds a
 * second time. The charge follows each step and returns to where it started.
 */
TEST_F(vgpu, ce_unpin_runs_uncharge)
{
	const uint64_t iova2 = IOVA + MEMSZ, size2 = 8 * PAGE;
	long base = vm_locked_pages();
	uint8_t *mem2;

	ASSERT_LE(0, base);
	ASSERT_EQ(0, __vgpu_mem_map(&self->v, &mem2, iova2, size2));
	self->bar = mmap(NULL, self->vram, PROT_READ | PROT_WRITE, MAP_SHARED, self->v.device,
			 0);
	ASSERT_NE(MAP_FAILED, self->bar);

	/* 600 pages up to the end of the first mapping, and 4 of the second */
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_PIN, iova2 - 600 * PAGE, 0, 604 * PAGE, 0));
	EXPECT_EQ(604, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(base + 604, vm_locked_pages());

	/* a hole in the run */
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_UNPIN, iova2 - 300 * PAGE, 0, PAGE, 0));
	EXPECT_EQ(base + 603, vm_locked_pages());

	/* a pinned copy takes and drops a second reference: nothing more is charged */
	fill(self->mem + MEMSZ - 2 * PAGE, 64, 3);
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, iova2 - 2 * PAGE, 0, 64,
			    VGPU_CE_CTRL_USE_PIN));
	EXPECT_EQ(0, memcmp(self->bar, self->mem + MEMSZ - 2 * PAGE, 64));
	EXPECT_EQ(603, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(base + 603, vm_locked_pages());

	/* one command over both mappings releases the rest */
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_UNPIN, IOVA, 0, MEMSZ + size2, 0));
	EXPECT_EQ(0, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(base, vm_locked_pages());

	/* nothing is left pinned in type1: both mappings go */
	EXPECT_EQ(0, __dma_unmap(&self->v, IOVA, MEMSZ + size2));
	EXPECT_EQ(base, vm_locked_pages());
	munmap(mem2, size2);
}

/*
 * Vendor pins count against RLIMIT_MEMLOCK, unless the mapping was made with
 * CAP_IPC_LOCK; the engine keeps the pages it pinned before the one over the limit.
 */
TEST_F(vgpu, ce_pin_rlimit_memlock)
{
	const uint64_t iova2 = IOVA + MEMSZ, size2 = 16 * PAGE;
	long base = vm_locked_pages();
	struct rlimit old, lim;
	uint8_t *mem2;

	ASSERT_LE(0, base);
	ASSERT_EQ(0, getrlimit(RLIMIT_MEMLOCK, &old));
	ASSERT_EQ(0, set_ipc_lock(false));
	ASSERT_EQ(0, __vgpu_mem_map(&self->v, &mem2, iova2, size2));
	ASSERT_EQ(0, set_ipc_lock(true));
	lim = old;
	lim.rlim_cur = (base + 8) * PAGE;
	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &lim));

	EXPECT_EQ(VGPU_CE_ERR_IOVA, ce_run(&self->v, VGPU_CE_CMD_PIN, iova2, 0, size2, 0));
	EXPECT_EQ(ENOMEM, mmio_rd32(&self->v, VGPU_CE_ERRNO));
	EXPECT_EQ(8, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(base + 8, vm_locked_pages());
	/* the fixture's mapping was made with the capability: exempt */
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_PIN, IOVA, 0, 4 * PAGE, 0));
	EXPECT_EQ(base + 12, vm_locked_pages());

	ASSERT_EQ(0, setrlimit(RLIMIT_MEMLOCK, &old));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_UNPIN, IOVA, 0, MEMSZ + size2, 0));
	EXPECT_EQ(0, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(base, vm_locked_pages());
	EXPECT_EQ(0, __dma_unmap(&self->v, iova2, size2));
	munmap(mem2, size2);
}

/*
 * PIN pins each run of pages in one vfio_pin_pages() call, which fails with the errno of
 * the first page that cannot be pinned, as page by page: past the last mapping -EINVAL,
 * in a read-only mapping -EPERM. A run may cross from one mapping into the next, and PIN
 * keeps the pages before the failing one.
 */
TEST_F(vgpu, ce_pin_run_errno)
{
	const uint64_t iova2 = IOVA + MEMSZ, size2 = 4 * PAGE, iova3 = iova2 + size2;
	long base = vm_locked_pages();
	uint8_t *mem2, *ro;

	ASSERT_LE(0, base);
	ASSERT_EQ(0, __vgpu_mem_map(&self->v, &mem2, iova2, size2));
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);

	/* across the two mappings */
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_PIN, iova2 - 4 * PAGE, 0, 8 * PAGE, 0));
	EXPECT_EQ(0, mmio_rd32(&self->v, VGPU_CE_ERRNO));
	EXPECT_EQ(8, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_UNPIN, IOVA, 0, MEMSZ + size2, 0));

	/* on past the end of the second */
	EXPECT_EQ(VGPU_CE_ERR_IOVA, ce_run(&self->v, VGPU_CE_CMD_PIN, iova2 - 4 * PAGE, 0,
					   12 * PAGE, 0));
	EXPECT_EQ(EINVAL, mmio_rd32(&self->v, VGPU_CE_ERRNO));
	EXPECT_EQ(8, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_UNPIN, IOVA, 0, MEMSZ + size2, 0));

	/* on into a read-only mapping: the engine pins for writing */
	ASSERT_EQ(0, __dma_map(&self->v, ro, iova3, PAGE, VFIO_DMA_MAP_FLAG_READ));
	EXPECT_EQ(VGPU_CE_ERR_IOVA, ce_run(&self->v, VGPU_CE_CMD_PIN, iova2, 0, 2 * size2, 0));
	EXPECT_EQ(EPERM, mmio_rd32(&self->v, VGPU_CE_ERRNO));
	EXPECT_EQ(4, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_UNPIN, IOVA, 0, MEMSZ + 2 * size2, 0));
	EXPECT_EQ(0, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(base, vm_locked_pages());

	/* a command that succeeds clears the errno */
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_UNPIN, IOVA, 0, PAGE, 0));
	EXPECT_EQ(0, mmio_rd32(&self->v, VGPU_CE_ERRNO));
	EXPECT_EQ(0, __dma_unmap(&self->v, iova2, 2 * size2));
	munmap(ro, PAGE);
	munmap(mem2, size2);
}

static int set_irq_eventfd(struct vgpu_dev *v, int index, uint32_t action, int fd)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} s = {
		.set.argsz = sizeof(s), .set.index = index, .set.count = 1,
		.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | action,
		.fd = fd,
	};

	return ioctl(v->device, VFIO_DEVICE_SET_IRQS, &s) ? -errno : 0;
}

static int set_irq_none(struct vgpu_dev *v, int index, uint32_t action, uint32_t count)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set), .index = index, .count = count,
		.flags = VFIO_IRQ_SET_DATA_NONE | action,
	};

	return ioctl(v->device, VFIO_DEVICE_SET_IRQS, &set) ? -errno : 0;
}

static uint64_t efd_count(int efd)
{
	uint64_t n = 0;

	if (read(efd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

TEST_F(vgpu, irq_msi_on_completion)
{
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_irq_eventfd(&self->v, VFIO_PCI_MSI_IRQ_INDEX,
				     VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, PAGE, 0));
	EXPECT_EQ(0, efd_count(efd));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, PAGE, VGPU_CE_CTRL_IRQ));
	EXPECT_EQ(1, efd_count(efd));
	/* errors complete too */
	EXPECT_EQ(VGPU_CE_ERR_LEN, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, 0,
					  VGPU_CE_CTRL_IRQ));
	EXPECT_EQ(1, efd_count(efd));
	ASSERT_EQ(0, set_irq_none(&self->v, VFIO_PCI_MSI_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, PAGE, VGPU_CE_CTRL_IRQ));
	EXPECT_EQ(0, efd_count(efd));
	close(efd);
}

TEST_F(vgpu, irq_intx_automask)
{
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_irq_eventfd(&self->v, VFIO_PCI_INTX_IRQ_INDEX,
				     VFIO_IRQ_SET_ACTION_TRIGGER, efd));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, PAGE, VGPU_CE_CTRL_IRQ));
	EXPECT_EQ(1, efd_count(efd));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, PAGE, VGPU_CE_CTRL_IRQ));
	EXPECT_EQ(0, efd_count(efd));
	ASSERT_EQ(0, set_irq_none(&self->v, VFIO_PCI_INTX_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_UNMASK, 1));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, PAGE, VGPU_CE_CTRL_IRQ));
	EXPECT_EQ(1, efd_count(efd));
	/* INTx disabled in the command register */
	ASSERT_EQ(0, set_irq_none(&self->v, VFIO_PCI_INTX_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_UNMASK, 1));
	cfg_wr32(&self->v, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, PAGE, VGPU_CE_CTRL_IRQ));
	EXPECT_EQ(0, efd_count(efd));
	close(efd);
}

TEST_F(vgpu, irq_info_and_errors)
{
	struct vfio_irq_info info = { .argsz = sizeof(info) };
	struct vfio_irq_set set = { .argsz = sizeof(set) };

	info.index = VFIO_PCI_INTX_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(1, info.count);
	EXPECT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED,
		  info.flags);
	info.index = VFIO_PCI_MSIX_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(0, info.count);
	info.index = VFIO_PCI_REQ_IRQ_INDEX;
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(1, info.count);
	info.index = VFIO_PCI_NUM_IRQS;
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.index = 0;
	info.argsz = offsetof(struct vfio_irq_info, count);
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_GET_IRQ_INFO, &info));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(-EINVAL, set_irq_eventfd(&self->v, VFIO_PCI_MSIX_IRQ_INDEX,
					   VFIO_IRQ_SET_ACTION_TRIGGER, -1));
	EXPECT_EQ(-EBADF, set_irq_eventfd(&self->v, VFIO_PCI_MSI_IRQ_INDEX,
					  VFIO_IRQ_SET_ACTION_TRIGGER, 1000));
	EXPECT_EQ(-EINVAL, set_irq_eventfd(&self->v, VFIO_PCI_MSI_IRQ_INDEX,
					   VFIO_IRQ_SET_ACTION_TRIGGER, -2));
	set.index = VFIO_PCI_MSI_IRQ_INDEX;
	set.count = 1;
	set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_SET_IRQS, &set));
	EXPECT_EQ(EINVAL, errno);
	set.argsz = offsetof(struct vfio_irq_set, count);
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_SET_IRQS, &set));
	EXPECT_EQ(EINVAL, errno);
}

static int dirty_bitmap(struct vgpu_dev *v, uint64_t iova, uint64_t size, uint64_t *bits)
{
	struct {
		struct vfio_iommu_type1_dirty_bitmap hdr;
		struct vfio_iommu_type1_dirty_bitmap_get get;
	} d = {
		.hdr.argsz = sizeof(d),
		.hdr.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
		.get.iova = iova, .get.size = size,
		.get.bitmap.pgsize = PAGE,
		.get.bitmap.size = ((size / PAGE + 63) / 64) * 8,
		.get.bitmap.data = (__u64 *)bits,
	};

	memset(bits, 0, d.get.bitmap.size);
	return ioctl(v->container, VFIO_IOMMU_DIRTY_PAGES, &d) ? -errno : 0;
}

static int dirty_ctl(struct vgpu_dev *v, uint32_t flag)
{
	struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d), .flags = flag };

	return ioctl(v->container, VFIO_IOMMU_DIRTY_PAGES, &d) ? -errno : 0;
}

static int popcount_bits(const uint64_t *bits, size_t words)
{
	int n = 0;
	size_t i;

	for (i = 0; i < words; i++)
		n += __builtin_popcountll(bits[i]);
	return n;
}

TEST_F(vgpu, dirty_pages_written_by_engine)
{
	uint64_t bits[MEMSZ / PAGE / 64];

	ASSERT_EQ(0, dirty_ctl(&self->v, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	ASSERT_EQ(0, dirty_bitmap(&self->v, IOVA, MEMSZ, bits));	/* clear what was there */
	/* engine writes to guest page 3 (dma_rw) and page 5 (pinned path) */
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_FROM_VRAM, IOVA + 3 * PAGE + 8, 0, 64, 0));
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_FROM_VRAM, IOVA + 5 * PAGE, 0, PAGE,
			    VGPU_CE_CTRL_USE_PIN));
	/* a read by the engine through vfio_dma_rw dirties nothing */
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_TO_VRAM, IOVA + 7 * PAGE, 0, PAGE, 0));
	ASSERT_EQ(0, dirty_bitmap(&self->v, IOVA, MEMSZ, bits));
	EXPECT_EQ(1, (bits[0] >> 3) & 1);
	EXPECT_EQ(1, (bits[0] >> 5) & 1);
	EXPECT_EQ(0, (bits[0] >> 7) & 1);
	EXPECT_EQ(2, popcount_bits(bits, MEMSZ / PAGE / 64));
	/* reported once, then clean */
	ASSERT_EQ(0, dirty_bitmap(&self->v, IOVA, MEMSZ, bits));
	EXPECT_EQ(0, popcount_bits(bits, MEMSZ / PAGE / 64));
	/* a range the engine writes across a page boundary: both pages */
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_FROM_VRAM, IOVA + 10 * PAGE - 4, 0, 8, 0));
	ASSERT_EQ(0, dirty_bitmap(&self->v, IOVA, MEMSZ, bits));
	EXPECT_EQ(3, (bits[0] >> 9) & 3);
	EXPECT_EQ(2, popcount_bits(bits, MEMSZ / PAGE / 64));
	EXPECT_EQ(0, dirty_ctl(&self->v, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
}

static void set_mode(struct vgpu_dev *v, int x, int y, int yoff)
{
	dispi_wr(v, DISPI_ENABLE, 0);
	dispi_wr(v, DISPI_BPP, 32);
	dispi_wr(v, DISPI_XRES, x);
	dispi_wr(v, DISPI_YRES, y);
	dispi_wr(v, DISPI_VIRT_WIDTH, x);
	dispi_wr(v, DISPI_Y_OFFSET, yoff);
	dispi_wr(v, DISPI_ENABLE, 0x41);
}

static int query_plane(struct vgpu_dev *v, uint32_t flags, struct vfio_device_gfx_plane_info *p)
{
	memset(p, 0, sizeof(*p));
	p->argsz = sizeof(*p);
	p->flags = flags;
	p->drm_plane_type = DRM_PLANE_TYPE_PRIMARY;
	return ioctl(v->device, VFIO_DEVICE_QUERY_GFX_PLANE, p) ? -errno : 0;
}

TEST_F(vgpu, gfx_plane_and_dmabuf)
{
	struct vfio_device_gfx_plane_info p;
	uint8_t *vram, *buf, *rd;
	uint32_t id;
	int fd;

	EXPECT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF,
				 &p));
	EXPECT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION,
				 &p));
	EXPECT_EQ(-EINVAL, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_PROBE, &p));
	EXPECT_EQ(-EINVAL, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_DMABUF |
				       VFIO_GFX_PLANE_TYPE_REGION, &p));
	/* display off: success, zero plane */
	ASSERT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_DMABUF, &p));
	EXPECT_EQ(0, p.drm_format);
	EXPECT_EQ(0, p.size);

	self->bar = mmap(NULL, self->vram, PROT_READ | PROT_WRITE, MAP_SHARED, self->v.device,
			 0);
	ASSERT_NE(MAP_FAILED, self->bar);
	vram = self->bar;
	/* a scanout that does not start on a page boundary cannot be a dma-buf */
	set_mode(&self->v, 640, 480, 2);
	ASSERT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_DMABUF, &p));
	EXPECT_EQ(DRM_FORMAT_XRGB8888, p.drm_format);
	id = p.dmabuf_id;
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_GET_GFX_DMABUF, &id));
	EXPECT_EQ(EINVAL, errno);
	/* 8 lines of 2560 bytes: 5 pages in */
	set_mode(&self->v, 640, 480, 8);
	fill(vram + 8 * 640 * 4, 640 * 480 * 4, 1);
	ASSERT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_DMABUF, &p));
	EXPECT_EQ(DRM_FORMAT_XRGB8888, p.drm_format);
	EXPECT_EQ(640, p.width);
	EXPECT_EQ(480, p.height);
	EXPECT_EQ(640 * 4, p.stride);
	EXPECT_EQ(640 * 480 * 4, p.size);
	id = p.dmabuf_id;
	fd = ioctl(self->v.device, VFIO_DEVICE_GET_GFX_DMABUF, &id);
	ASSERT_LE(0, fd);
	buf = mmap(NULL, p.size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, buf);
	EXPECT_EQ(0, memcmp(buf, vram + 8 * 640 * 4, p.size));
	/* live: the dma-buf shows later writes */
	vram[8 * 640 * 4] ^= 0xff;
	EXPECT_EQ(buf[0], vram[8 * 640 * 4]);
	munmap(buf, p.size);
	close(fd);
	id = p.dmabuf_id + 1;
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_GET_GFX_DMABUF, &id));
	EXPECT_EQ(ENOENT, errno);

	/* the region plane: the scanout region starts at the scanout */
	ASSERT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_REGION, &p));
	EXPECT_EQ(VGPU_SCANOUT_REGION, p.region_index);
	rd = malloc(p.size);
	ASSERT_NE(NULL, rd);
	ASSERT_EQ(0, __region_rw(&self->v, VGPU_SCANOUT_REGION, 0, rd, p.size, false));
	EXPECT_EQ(0, memcmp(rd, vram + 8 * 640 * 4, p.size));
	free(rd);

	/* a new mode gets a new id; the old one is gone */
	set_mode(&self->v, 800, 600, 0);
	ASSERT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_DMABUF, &p));
	EXPECT_NE(id - 1, p.dmabuf_id);
	id -= 1;
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_GET_GFX_DMABUF, &id));
	EXPECT_EQ(ENOENT, errno);
	/* past the profile's maximum resolution: no plane */
	set_mode(&self->v, 4000, 100, 0);
	ASSERT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_DMABUF, &p));
	EXPECT_EQ(0, p.drm_format);
	p.argsz = offsetof(struct vfio_device_gfx_plane_info, region_index);
	EXPECT_EQ(-1, ioctl(self->v.device, VFIO_DEVICE_QUERY_GFX_PLANE, &p));
	EXPECT_EQ(EINVAL, errno);
}

/* The region plane at 800x600 (not a whole number of pages), scanout not page aligned */
TEST_F(vgpu, region_plane_read_and_mmap)
{
	const size_t fb = 800 * 600 * 4, start = 3 * 800 * 4;
	struct vfio_device_gfx_plane_info p;
	uint64_t off = REGION_OFFSET(VGPU_SCANOUT_REGION);
	uint8_t *vram, *rd, *map;

	self->bar = mmap(NULL, self->vram, PROT_READ | PROT_WRITE, MAP_SHARED, self->v.device,
			 0);
	ASSERT_NE(MAP_FAILED, self->bar);
	vram = self->bar;
	set_mode(&self->v, 800, 600, 3);
	fill(vram + start, fb, 7);
	ASSERT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_REGION, &p));
	EXPECT_EQ(VGPU_SCANOUT_REGION, p.region_index);
	EXPECT_EQ(DRM_FORMAT_XRGB8888, p.drm_format);
	EXPECT_EQ(800 * 4, p.stride);
	ASSERT_EQ((fb + PAGE - 1) & ~(size_t)(PAGE - 1), p.size);
	/* the whole reported size reads */
	rd = malloc(p.size);
	ASSERT_NE(NULL, rd);
	ASSERT_EQ(0, __region_rw(&self->v, VGPU_SCANOUT_REGION, 0, rd, p.size, false));
	EXPECT_EQ(0, memcmp(rd, vram + start, fb));
	free(rd);

	/* mmap, as QEMU's display=on does: the copy the last query made */
	map = mmap(NULL, p.size, PROT_READ, MAP_SHARED, self->v.device, off);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, memcmp(map, vram + start, fb));
	vram[start] ^= 0xff;
	EXPECT_NE(vram[start], map[0]);
	ASSERT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_REGION, &p));
	EXPECT_EQ(vram[start], map[0]);
	EXPECT_EQ(-1, mprotect(map, p.size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	/* QEMU asks with drm_plane_type left 0: still the primary plane */
	vram[start] ^= 0xff;
	memset(&p, 0, sizeof(p));
	p.argsz = sizeof(p);
	p.flags = VFIO_GFX_PLANE_TYPE_REGION;
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_QUERY_GFX_PLANE, &p));
	EXPECT_EQ(VGPU_SCANOUT_REGION, p.region_index);
	EXPECT_EQ(DRM_FORMAT_XRGB8888, p.drm_format);
	EXPECT_EQ(800, p.width);
	EXPECT_EQ(vram[start], map[0]);
	munmap(map, p.size);

	/* read-only, shared, inside the region */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
				   self->v.device, off));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, self->v.device, off));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, self->v.device,
				   off + 1920 * 1200 * 4 - PAGE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED, self->v.device,
				   REGION_OFFSET(VGPU_SCANOUT_REGION + 1)));
	EXPECT_EQ(EINVAL, errno);
	/* a write to the region is refused */
	rd = calloc(1, PAGE);
	ASSERT_NE(NULL, rd);
	EXPECT_EQ(-EINVAL, __region_rw(&self->v, VGPU_SCANOUT_REGION, 0, rd, 4, true));
	free(rd);
}

static int write_param(const char *name, const char *val)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/vgpu/parameters/%s", name);
	return sysfs_attr_write(path, val);
}

/* dmabuf=N: instances created from then on offer the region plane only */
TEST(dmabuf_param_off)
{
	struct vfio_device_gfx_plane_info p;
	char uuid[37];
	struct vgpu_dev v;
	uint32_t id = 0;

	if (!have_vgpu())
		SKIP(return, "vgpu.ko not loaded");
	ASSERT_EQ(0, write_param("dmabuf", "N"));
	ASSERT_EQ(0, __mdev_create(0, "eighth", uuid));
	ASSERT_EQ(0, write_param("dmabuf", "Y"));
	ASSERT_EQ(0, __vgpu_open(&v, uuid));
	EXPECT_EQ(-EINVAL, query_plane(&v, VFIO_GFX_PLANE_TYPE_PROBE |
				       VFIO_GFX_PLANE_TYPE_DMABUF, &p));
	EXPECT_EQ(0, query_plane(&v, VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION,
				 &p));
	EXPECT_EQ(-EINVAL, query_plane(&v, VFIO_GFX_PLANE_TYPE_DMABUF, &p));
	set_mode(&v, 640, 480, 0);
	ASSERT_EQ(0, query_plane(&v, VFIO_GFX_PLANE_TYPE_REGION, &p));
	EXPECT_EQ(VGPU_SCANOUT_REGION, p.region_index);
	EXPECT_EQ(-1, ioctl(v.device, VFIO_DEVICE_GET_GFX_DMABUF, &id));
	EXPECT_EQ(EINVAL, errno);
	vgpu_close(&v);
	EXPECT_EQ(0, __mdev_remove(uuid));
}

/* Join @uuid's group to @container and open the device: its fd, or -errno */
static int open_in_container(struct vgpu_dev *v, const char *uuid, int container)
{
	int fd, ret = __vgpu_open_group(v, uuid);

	if (ret)
		return ret;
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &container))
		return -errno;
	fd = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (fd < 0)
		return -errno;
	v->device = fd;
	return 0;
}

/*
 * single_usage_restriction Y (the fractional profiles): a second instance of the type in
 * one container is refused with EBUSY on our stack; an instance of another type is not.
 * The stock stack has no such restriction (nor the attribute) and opens all three.
 */
TEST(single_usage_enforced)
{
	char a[37], b[37], c[37], attr[PATH_MAX];
	struct vgpu_dev va, vb, vc;
	bool ours;

	if (!have_vgpu())
		SKIP(return, "vgpu.ko not loaded");
	snprintf(attr, sizeof(attr), VGPU_TYPE_DIR "/single_usage_restriction", 0, "eighth");
	ours = !access(attr, F_OK);
	ASSERT_EQ(0, __mdev_create(0, "eighth", a));
	ASSERT_EQ(0, __mdev_create(0, "eighth", b));
	ASSERT_EQ(0, __mdev_create(0, "quarter", c));
	ASSERT_EQ(0, __vgpu_open(&va, a));
	EXPECT_EQ(ours ? -EBUSY : 0, open_in_container(&vb, b, va.container));
	EXPECT_EQ(0, open_in_container(&vc, c, va.container));
	vgpu_close(&vb);
	/* in a container of its own it opens */
	ASSERT_EQ(0, __vgpu_open(&vb, b));
	vgpu_close(&vc);
	vgpu_close(&vb);
	/* and, once the first device is closed, in the first's container too */
	close(va.device);
	va.device = -1;
	EXPECT_EQ(0, open_in_container(&vb, b, va.container));
	vgpu_close(&vb);
	vgpu_close(&va);
	EXPECT_EQ(0, __mdev_remove(a));
	EXPECT_EQ(0, __mdev_remove(b));
	EXPECT_EQ(0, __mdev_remove(c));
}

TEST_F(vgpu, reset)
{
	struct vfio_device_gfx_plane_info p;

	set_mode(&self->v, 640, 480, 0);
	EXPECT_EQ(0, ce_run(&self->v, VGPU_CE_CMD_PIN, IOVA, 0, PAGE, 0));
	cfg_wr32(&self->v, PCI_BASE_ADDRESS_0, 0xc0000000);
	ASSERT_EQ(0, ioctl(self->v.device, VFIO_DEVICE_RESET));
	EXPECT_EQ(0, mmio_rd32(&self->v, VGPU_CE_PINNED));
	EXPECT_EQ(0, dispi_rd(&self->v, DISPI_ENABLE));
	EXPECT_EQ(PCI_BASE_ADDRESS_MEM_PREFETCH, cfg_rd32(&self->v, PCI_BASE_ADDRESS_0));
	ASSERT_EQ(0, query_plane(&self->v, VFIO_GFX_PLANE_TYPE_DMABUF, &p));
	EXPECT_EQ(0, p.drm_format);
}

struct remover {
	char uuid[37];
	int ret;
};

static void *remove_thread(void *arg)
{
	struct remover *r = arg;

	r->ret = __mdev_remove(r->uuid);
	return NULL;
}

TEST(request_on_removal)
{
	struct remover r = { .ret = 1 };
	struct pollfd pfd;
	struct vgpu_dev v;
	char path[PATH_MAX];
	pthread_t thread;
	int efd;

	if (!have_vgpu())
		SKIP(return, "vgpu.ko not loaded");
	ASSERT_EQ(0, __mdev_create(0, "eighth", r.uuid));
	ASSERT_EQ(0, __vgpu_open(&v, r.uuid));
	efd = eventfd(0, 0);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, set_irq_eventfd(&v, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
				     efd));
	ASSERT_EQ(0, pthread_create(&thread, NULL, remove_thread, &r));
	pfd.fd = efd;
	pfd.events = POLLIN;
	/* the removal asks us through the request eventfd; we let go, it completes */
	EXPECT_EQ(1, poll(&pfd, 1, 20000));
	EXPECT_LE(1, efd_count(efd));
	EXPECT_EQ(1, r.ret);	/* still waiting for us */
	vgpu_close(&v);
	pthread_join(thread, NULL);
	EXPECT_EQ(0, r.ret);
	snprintf(path, sizeof(path), MDEV_DIR, r.uuid);
	EXPECT_NE(0, access(path, F_OK));
	close(efd);
}

struct avail {
	long eighth, quarter, half, whole;
};

static struct avail avail_on(int gpu)
{
	struct avail a = {
		type_attr_long(gpu, "eighth", "available_instances"),
		type_attr_long(gpu, "quarter", "available_instances"),
		type_attr_long(gpu, "half", "available_instances"),
		type_attr_long(gpu, "whole", "available_instances"),
	};
	return a;
}

#define EXPECT_AVAIL(gpu, e, q, h, w) do {				\
	struct avail _a = avail_on(gpu);				\
	EXPECT_EQ(e, _a.eighth);					\
	EXPECT_EQ(q, _a.quarter);					\
	EXPECT_EQ(h, _a.half);						\
	EXPECT_EQ(w, _a.whole);						\
} while (0)

TEST(available_instances_mixed)
{
	char half[37], e1[37], e2[37], q[37], x[37], path[PATH_MAX], desc[256];

	if (access("/sys/class/mdev_bus/vgpu1", F_OK))
		SKIP(return, "vgpu.ko not loaded with gpus=2");
	snprintf(path, sizeof(path), VGPU_TYPE_DIR "/description", 1, "quarter");
	ASSERT_EQ(0, sysfs_attr_read(path, desc, sizeof(desc)));
	EXPECT_EQ(0, strcmp(desc, "VRAM 64 MiB, max resolution 1920x1200, 1 head"));
	EXPECT_AVAIL(1, 8, 4, 2, 1);
	ASSERT_EQ(0, __mdev_create(1, "half", half));		/* slots 0-3 */
	EXPECT_AVAIL(1, 4, 2, 1, 0);
	ASSERT_EQ(0, __mdev_create(1, "eighth", e1));		/* slot 4 */
	EXPECT_AVAIL(1, 3, 1, 0, 0);
	ASSERT_EQ(0, __mdev_create(1, "quarter", q));		/* slots 6-7 */
	EXPECT_AVAIL(1, 1, 0, 0, 0);
	EXPECT_EQ(-ENOSPC, __mdev_create(1, "quarter", x));
	EXPECT_EQ(-ENOSPC, __mdev_create(1, "whole", x));
	ASSERT_EQ(0, __mdev_create(1, "eighth", e2));		/* slot 5 */
	EXPECT_AVAIL(1, 0, 0, 0, 0);
	EXPECT_EQ(0, __mdev_remove(half));
	EXPECT_AVAIL(1, 4, 2, 1, 0);
	EXPECT_EQ(0, __mdev_remove(e1));
	EXPECT_AVAIL(1, 5, 2, 1, 0);
	EXPECT_EQ(0, __mdev_remove(e2));
	EXPECT_AVAIL(1, 6, 3, 1, 0);
	EXPECT_EQ(0, __mdev_remove(q));
	EXPECT_AVAIL(1, 8, 4, 2, 1);
	/* the other GPU is independent */
	EXPECT_EQ(8, avail_on(0).eighth);
}

TEST(vram_scrubbed_between_instances)
{
	struct vgpu_dev v;
	char uuid[37];
	uint8_t *bar;
	int i, dirty = 0;

	if (!have_vgpu())
		SKIP(return, "vgpu.ko not loaded");
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, __mdev_create(0, "whole", uuid));
		ASSERT_EQ(0, __vgpu_open(&v, uuid));
		bar = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, v.device, 0);
		ASSERT_NE(MAP_FAILED, bar);
		dirty |= bar[100];
		memset(bar, 0xa5, PAGE);
		munmap(bar, PAGE);
		vgpu_close(&v);
		ASSERT_EQ(0, __mdev_remove(uuid));
	}
	EXPECT_EQ(0, dirty);
}

TEST_HARNESS_MAIN
