// SPDX-License-Identifier: GPL-2.0-only
/*
 * EEH in the container: VFIO_CHECK_EXTENSION(VFIO_EEH) and VFIO_EEH_PE_OP, on an mdev of
 * the kernel's mtty sample (no EEH: the type1 backend answers) and on a vGPU instance
 * (our core sends the op to the vGPU's EEH model). The same binary runs on the stock stack
 * with EEH_STACK=stock: there the vGPU has no EEH either, and every answer must be the
 * stock one (extension 0, PE_OP -ENOTTY from type1, -EINVAL before VFIO_SET_IOMMU).
 * Needs vgpu.ko and mtty.ko loaded (run.sh).
 */
#include <stddef.h>
#include <glob.h>
#include <linux/pci_regs.h>

#include "kselftest_harness.h"
#include "vgpu_lib.h"

#define IOVA		0x100000ull
#define MEMSZ		(1ul << 20)
#define MTTY_TYPES	"/sys/class/mdev_bus/mtty/mdev_supported_types"
#define DISPI_ID	0x0
#define DISPI_XRES	0x1
#define ID5		0xb0c5

#ifndef offsetofend
#define offsetofend(t, m)	(offsetof(t, m) + sizeof(((t *)0)->m))
#endif
#define HDR_SZ		offsetofend(struct vfio_eeh_pe_op, op)
#define INJECT_SZ	offsetofend(struct vfio_eeh_pe_op, err.mask)

static bool on_stock(void)
{
	const char *s = getenv("EEH_STACK");

	return s && !strcmp(s, "stock");
}

/* VFIO_EEH_PE_OP helpers: __pe_op() returns the ioctl's value or -errno */
static int __pe_op_raw(int container, const void *arg)
{
	int ret = ioctl(container, VFIO_EEH_PE_OP, arg);

	return ret < 0 ? -errno : ret;
}

static int __pe_op(int container, uint32_t op)
{
	struct vfio_eeh_pe_op pe = { .argsz = sizeof(pe), .op = op };

	return __pe_op_raw(container, &pe);
}

#define pe_op(c, op)		ASSERT_LE(0, __pe_op(c, op))
#define pe_op_err(e, c, op)	ASSERT_EQ(-(e), __pe_op(c, op))
#define pe_state(c)		__pe_op(c, VFIO_EEH_PE_GET_STATE)

static int __check_eeh(int container)
{
	return ioctl(container, VFIO_CHECK_EXTENSION, VFIO_EEH);
}

static int __inject(int container)
{
	struct vfio_eeh_pe_op pe = {
		.argsz = sizeof(pe), .op = VFIO_EEH_PE_INJECT_ERR,
		.err = { .type = 0, .func = 0, .addr = 0, .mask = 0 },
	};

	return __pe_op_raw(container, &pe);
}

/* Opens the container and the group and puts the group in it, without VFIO_SET_IOMMU */
static int __open_unset(struct vgpu_dev *v, const char *uuid)
{
	int ret = __vgpu_open_group(v, uuid);

	if (ret)
		return ret;
	return ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container) ? -errno : 0;
}

static void fill(uint8_t *buf, uint8_t seed)
{
	size_t i;

	for (i = 0; i < 4096; i++)
		buf[i] = (uint8_t)(i * 7 + seed);
}

/* The copy engine works: a pattern goes to the first VRAM page and comes back */
static int ce_round_trip(struct vgpu_dev *v, uint8_t *mem, uint8_t seed)
{
	int ret;

	fill(mem, seed);
	memset(mem + 4096, 0, 4096);
	ret = ce_run(v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, 4096, 0);
	if (ret)
		return ret;
	ret = ce_run(v, VGPU_CE_CMD_FROM_VRAM, IOVA + 4096, 0, 4096, 0);
	if (ret)
		return ret;
	return memcmp(mem, mem + 4096, 4096) ? -2 : 0;
}

FIXTURE(mtty) {
	struct vgpu_dev v;
	char uuid[37];
};

FIXTURE_SETUP(mtty)
{
	char path[PATH_MAX];
	glob_t g;

	self->v.container = self->v.group = self->v.device = -1;
	self->uuid[0] = 0;
	if (glob(MTTY_TYPES "/*", 0, NULL, &g))
		SKIP(return, "no mtty parent (modprobe mtty)");
	snprintf(path, sizeof(path), "%s/create", g.gl_pathv[0]);
	globfree(&g);
	ASSERT_EQ(0, sysfs_attr_read("/proc/sys/kernel/random/uuid", self->uuid,
				     sizeof(self->uuid)));
	ASSERT_EQ(0, sysfs_attr_write(path, self->uuid));
	ASSERT_EQ(0, __vgpu_open(&self->v, self->uuid));
}

FIXTURE_TEARDOWN(mtty)
{
	vgpu_close(&self->v);
	if (self->uuid[0])
		__mdev_remove(self->uuid);
}

TEST_F(mtty, no_eeh_extension)
{
	ASSERT_EQ(0, __check_eeh(self->v.container));
}

/* type1 does not know the ioctl: -ENOTTY, whatever the argument */
TEST_F(mtty, pe_op_is_the_backends)
{
	struct vfio_eeh_pe_op bad = { .argsz = 1, .flags = 1, .op = 99 };

	pe_op_err(ENOTTY, self->v.container, VFIO_EEH_PE_GET_STATE);
	pe_op_err(ENOTTY, self->v.container, VFIO_EEH_PE_RESET_HOT);
	ASSERT_EQ(-ENOTTY, __inject(self->v.container));
	ASSERT_EQ(-ENOTTY, __pe_op_raw(self->v.container, &bad));
	ASSERT_EQ(-ENOTTY, __pe_op_raw(self->v.container, NULL));
}

TEST(mtty_before_set_iommu)
{
	char path[PATH_MAX], uuid[37];
	struct vgpu_dev v;
	glob_t g;

	if (glob(MTTY_TYPES "/*", 0, NULL, &g))
		SKIP(return, "no mtty parent (modprobe mtty)");
	snprintf(path, sizeof(path), "%s/create", g.gl_pathv[0]);
	globfree(&g);
	ASSERT_EQ(0, sysfs_attr_read("/proc/sys/kernel/random/uuid", uuid, sizeof(uuid)));
	ASSERT_EQ(0, sysfs_attr_write(path, uuid));
	ASSERT_EQ(0, __open_unset(&v, uuid));
	EXPECT_EQ(0, __check_eeh(v.container));
	EXPECT_EQ(-EINVAL, __pe_op(v.container, VFIO_EEH_PE_GET_STATE));
	vgpu_close(&v);
	ASSERT_EQ(0, __mdev_remove(uuid));
}

FIXTURE(vgpu) {
	struct vgpu_dev v;
	char uuid[37];
	uint8_t *mem;
	bool stock;
	int bad;	/* what a bad argument gets: -EINVAL on ours, type1's -ENOTTY on stock */
};

FIXTURE_SETUP(vgpu)
{
	self->v.container = self->v.group = self->v.device = -1;
	self->uuid[0] = 0;
	self->mem = MAP_FAILED;
	self->stock = on_stock();
	self->bad = self->stock ? -ENOTTY : -EINVAL;
	if (access("/sys/class/mdev_bus/vgpu0", F_OK))
		SKIP(return, "vgpu.ko not loaded");
	ASSERT_EQ(0, __mdev_create(0, "eighth", self->uuid));
	ASSERT_EQ(0, __vgpu_open(&self->v, self->uuid));
	ASSERT_EQ(0, __vgpu_mem_map(&self->v, &self->mem, IOVA, MEMSZ));
}

FIXTURE_TEARDOWN(vgpu)
{
	vgpu_close(&self->v);
	if (self->mem != MAP_FAILED)
		munmap(self->mem, MEMSZ);
	if (self->uuid[0])
		__mdev_remove(self->uuid);
}

TEST_F(vgpu, extension)
{
	ASSERT_EQ(self->stock ? 0 : 1, __check_eeh(self->v.container));
	/* the backend still answers every other extension */
	ASSERT_EQ(1, ioctl(self->v.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
}

TEST_F(vgpu, argsz_short_of_op)
{
	struct vfio_eeh_pe_op pe = { .argsz = HDR_SZ - 1, .op = VFIO_EEH_PE_GET_STATE };

	ASSERT_EQ(self->bad, __pe_op_raw(self->v.container, &pe));
	pe.argsz = 0;
	ASSERT_EQ(self->bad, __pe_op_raw(self->v.container, &pe));
	pe.argsz = HDR_SZ;	/* exactly the header is enough for every op but INJECT_ERR */
	ASSERT_EQ(self->stock ? -ENOTTY : VFIO_EEH_PE_STATE_NORMAL,
		  __pe_op_raw(self->v.container, &pe));
}

TEST_F(vgpu, flags_must_be_zero)
{
	struct vfio_eeh_pe_op pe = { .argsz = sizeof(pe), .op = VFIO_EEH_PE_GET_STATE };

	pe.flags = 1;
	ASSERT_EQ(self->bad, __pe_op_raw(self->v.container, &pe));
	pe.flags = 0x80000000u;
	ASSERT_EQ(self->bad, __pe_op_raw(self->v.container, &pe));
}

TEST_F(vgpu, unknown_op)
{
	ASSERT_EQ(self->bad, __pe_op(self->v.container, VFIO_EEH_PE_INJECT_ERR + 1));
	ASSERT_EQ(self->bad, __pe_op(self->v.container, 0xffffffffu));
	ASSERT_EQ(self->stock ? -ENOTTY : VFIO_EEH_PE_STATE_NORMAL, pe_state(self->v.container));
}

TEST_F(vgpu, inject_err_short_buffer)
{
	struct vfio_eeh_pe_op pe = { .argsz = INJECT_SZ - 1, .op = VFIO_EEH_PE_INJECT_ERR };

	ASSERT_EQ(self->bad, __pe_op_raw(self->v.container, &pe));
	pe.argsz = HDR_SZ;
	ASSERT_EQ(self->bad, __pe_op_raw(self->v.container, &pe));
	/* nothing was injected */
	ASSERT_EQ(self->stock ? -ENOTTY : VFIO_EEH_PE_STATE_NORMAL, pe_state(self->v.container));
	ASSERT_EQ(ID5, dispi_rd(&self->v, DISPI_ID));
	pe.argsz = INJECT_SZ;
	ASSERT_EQ(self->stock ? -ENOTTY : 0, __pe_op_raw(self->v.container, &pe));
}

/* Bad pointers: -EFAULT, and only the bytes an op needs are read */
TEST_F(vgpu, efault_and_what_is_read)
{
	long page = sysconf(_SC_PAGESIZE);
	struct vfio_eeh_pe_op *pe;
	uint8_t *buf;

	ASSERT_EQ(self->stock ? -ENOTTY : -EFAULT, __pe_op_raw(self->v.container, NULL));
	buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, munmap(buf + page, page));

	/* the header fits in the mapped page: GET_STATE reads nothing past it */
	pe = (void *)(buf + page - HDR_SZ);
	pe->argsz = sizeof(*pe);
	pe->flags = 0;
	pe->op = VFIO_EEH_PE_GET_STATE;
	ASSERT_EQ(self->stock ? -ENOTTY : VFIO_EEH_PE_STATE_NORMAL,
		  __pe_op_raw(self->v.container, pe));
	/* INJECT_ERR needs err, which lies in the unmapped page */
	pe->op = VFIO_EEH_PE_INJECT_ERR;
	ASSERT_EQ(self->stock ? -ENOTTY : -EFAULT, __pe_op_raw(self->v.container, pe));
	ASSERT_EQ(self->stock ? -ENOTTY : VFIO_EEH_PE_STATE_NORMAL,
		  pe_state(self->v.container));
	munmap(buf, page);
}

TEST_F(vgpu, enable_disable_accepted)
{
	if (self->stock) {
		pe_op_err(ENOTTY, self->v.container, VFIO_EEH_PE_ENABLE);
		pe_op_err(ENOTTY, self->v.container, VFIO_EEH_PE_DISABLE);
		return;
	}
	pe_op(self->v.container, VFIO_EEH_PE_DISABLE);
	pe_op(self->v.container, VFIO_EEH_PE_ENABLE);
	ASSERT_EQ(VFIO_EEH_PE_STATE_NORMAL, pe_state(self->v.container));
	ASSERT_EQ(0, ce_round_trip(&self->v, self->mem, 1));
}

/* freeze -> detect -> reset -> configure -> unfreeze -> working again */
TEST_F(vgpu, freeze_and_recover)
{
	struct vgpu_dev *v = &self->v;
	int c = v->container;
	uint32_t bar2 = 0xfe000000u;
	uint8_t vram[4096], want[4096];

	if (self->stock) {
		ASSERT_EQ(-ENOTTY, __inject(c));
		ASSERT_EQ(ID5, dispi_rd(v, DISPI_ID));
		ASSERT_EQ(0, ce_round_trip(v, self->mem, 2));
		return;
	}
	/* working, with config space set up as a guest would */
	cfg_wr32(v, PCI_BASE_ADDRESS_2, bar2);
	cfg_wr32(v, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	ASSERT_EQ(VFIO_EEH_PE_STATE_NORMAL, pe_state(c));
	ASSERT_EQ(0, ce_round_trip(v, self->mem, 3));

	/* freeze */
	ASSERT_EQ(0, __inject(c));

	/* detect: the state, and all ones from MMIO and config space */
	ASSERT_EQ(VFIO_EEH_PE_STATE_STOPPED, pe_state(c));
	ASSERT_EQ(0xffff, dispi_rd(v, DISPI_ID));
	ASSERT_EQ(0xffffffffu, mmio_rd32(v, VGPU_CE_STATUS));
	ASSERT_EQ(0xffffffffu, cfg_rd32(v, PCI_VENDOR_ID));
	/* the engine stops: a copy rung while frozen leaves VRAM as it was */
	memset(self->mem, 0xa5, 4096);
	ce_run(v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, 4096, 0);
	ASSERT_EQ(0, __region_rw(v, VFIO_PCI_BAR0_REGION_INDEX, 0, vram, sizeof(vram), false));
	fill(want, 3);
	ASSERT_EQ(0, memcmp(vram, want, sizeof(vram)));

	/* reset */
	pe_op(c, VFIO_EEH_PE_RESET_HOT);
	ASSERT_EQ(VFIO_EEH_PE_STATE_RESET, pe_state(c));
	ASSERT_EQ(0xffff, dispi_rd(v, DISPI_ID));
	pe_op(c, VFIO_EEH_PE_RESET_DEACTIVATE);
	/* the reset put config space at power on: BAR2 is unassigned until CONFIGURE */
	ASSERT_EQ(0u, cfg_rd32(v, PCI_BASE_ADDRESS_2) & PCI_BASE_ADDRESS_MEM_MASK);

	/* configure, unfreeze */
	pe_op(c, VFIO_EEH_PE_CONFIGURE);
	ASSERT_EQ(bar2, cfg_rd32(v, PCI_BASE_ADDRESS_2) & PCI_BASE_ADDRESS_MEM_MASK);
	ASSERT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		  cfg_rd32(v, PCI_COMMAND) & 0xffff);
	pe_op(c, VFIO_EEH_PE_UNFREEZE_IO);
	pe_op(c, VFIO_EEH_PE_UNFREEZE_DMA);

	/* working again */
	ASSERT_EQ(VFIO_EEH_PE_STATE_NORMAL, pe_state(c));
	ASSERT_EQ(0x1234, cfg_rd32(v, PCI_VENDOR_ID) & 0xffff);
	ASSERT_EQ(ID5, dispi_rd(v, DISPI_ID));
	ASSERT_EQ(0, ce_round_trip(v, self->mem, 4));
}

/* Thawing without a reset: MMIO first (writes made while frozen were dropped), then DMA */
TEST_F(vgpu, unfreeze_without_reset)
{
	struct vgpu_dev *v = &self->v;
	int c = v->container;

	if (self->stock) {
		pe_op_err(ENOTTY, c, VFIO_EEH_PE_UNFREEZE_IO);
		pe_op_err(ENOTTY, c, VFIO_EEH_PE_UNFREEZE_DMA);
		return;
	}
	dispi_wr(v, DISPI_XRES, 640);
	ASSERT_EQ(0, __inject(c));
	dispi_wr(v, DISPI_XRES, 1024);
	pe_op(c, VFIO_EEH_PE_UNFREEZE_IO);
	ASSERT_EQ(VFIO_EEH_PE_STATE_STOPPED_DMA, pe_state(c));
	ASSERT_EQ(640, dispi_rd(v, DISPI_XRES));
	ASSERT_EQ(VGPU_CE_ERR_FROZEN, ce_run(v, VGPU_CE_CMD_TO_VRAM, IOVA, 0, 4096, 0));
	pe_op(c, VFIO_EEH_PE_UNFREEZE_DMA);
	ASSERT_EQ(VFIO_EEH_PE_STATE_NORMAL, pe_state(c));
	ASSERT_EQ(0, ce_round_trip(v, self->mem, 5));
}

/* Closing the device hands it back thawed */
TEST_F(vgpu, close_thaws)
{
	if (self->stock) {
		pe_op_err(ENOTTY, self->v.container, VFIO_EEH_PE_CONFIGURE);
		pe_op_err(ENOTTY, self->v.container, VFIO_EEH_PE_RESET_FUNDAMENTAL);
		return;
	}
	ASSERT_EQ(0, __inject(self->v.container));
	vgpu_close(&self->v);
	ASSERT_EQ(0, __vgpu_open(&self->v, self->uuid));
	ASSERT_EQ(VFIO_EEH_PE_STATE_NORMAL, pe_state(self->v.container));
	ASSERT_EQ(ID5, dispi_rd(&self->v, DISPI_ID));
}

/* Before VFIO_SET_IOMMU nothing but the core's own ioctls: -EINVAL, as on stock */
TEST(vgpu_before_set_iommu)
{
	struct vgpu_dev v;
	char uuid[37];

	if (access("/sys/class/mdev_bus/vgpu0", F_OK))
		SKIP(return, "vgpu.ko not loaded");
	ASSERT_EQ(0, __mdev_create(0, "eighth", uuid));
	ASSERT_EQ(0, __open_unset(&v, uuid));
	EXPECT_EQ(on_stock() ? 0 : 1, __check_eeh(v.container));
	EXPECT_EQ(-EINVAL, __pe_op(v.container, VFIO_EEH_PE_GET_STATE));
	vgpu_close(&v);
	ASSERT_EQ(0, __mdev_remove(uuid));
}

TEST_HARNESS_MAIN
