// SPDX-License-Identifier: GPL-2.0-only
/*
 * The device fd of QEMU's edu device, bound to Debian's prebuilt vfio-pci: what the core
 * passes through (info, regions, IRQs, reset, read/write/mmap) and what it does itself
 * (VFIO_DEVICE_FEATURE checks, the lifetime of the device fd against its group and
 * container fds, several opens of one device).
 */
#include "kselftest_harness.h"
#include "vfio_core_util.h"

FIXTURE(device) {
	struct vc_dev dev;
	struct vc_fds fds;
	struct vfio_device_info info;
};

FIXTURE_SETUP(device)
{
	self->fds.container = self->fds.group = self->fds.device = -1;
	if (vc_edu_vfio(&self->dev))
		SKIP(return, "no edu device bound to vfio-pci");
	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, VFIO_TYPE1v2_IOMMU));
	self->info.argsz = sizeof(self->info);
	ASSERT_EQ(0, vc_ioctl(self->fds.device, VFIO_DEVICE_GET_INFO, &self->info));
}

FIXTURE_TEARDOWN(device)
{
	vc_close(&self->fds);
}

TEST_F(device, read_id)
{
	uint32_t id = 0;

	ASSERT_EQ(0, vc_edu_read_id(self->fds.device, &id));
	ASSERT_EQ(EDU_ID, id);
}

TEST_F(device, mmap_id)
{
	struct vfio_region_info bar;
	uint32_t *regs;

	ASSERT_EQ(0, __region_info(self->fds.device, VFIO_PCI_BAR0_REGION_INDEX, &bar));
	ASSERT_TRUE(bar.flags & VFIO_REGION_INFO_FLAG_MMAP);
	regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->fds.device,
		    bar.offset);
	ASSERT_NE(MAP_FAILED, regs);
	ASSERT_EQ(EDU_ID, __atomic_load_n(&regs[0], __ATOMIC_RELAXED));
	/* edu's liveness register inverts what is written */
	__atomic_store_n(&regs[1], 0x12345678, __ATOMIC_RELAXED);
	ASSERT_EQ(~0x12345678U, __atomic_load_n(&regs[1], __ATOMIC_RELAXED));
	munmap((void *)regs, 4096);
}

TEST_F(device, get_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int d = self->fds.device;

	ASSERT_TRUE(self->info.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_LE(VFIO_PCI_NUM_REGIONS, self->info.num_regions);
	ASSERT_EQ(VFIO_PCI_NUM_IRQS, self->info.num_irqs);
	info.argsz = offsetofend(struct vfio_device_info, num_irqs) - 1;
	ASSERT_EQ(-EINVAL, vc_ioctl(d, VFIO_DEVICE_GET_INFO, &info));
	info.argsz = 0;
	ASSERT_EQ(-EINVAL, vc_ioctl(d, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(-EFAULT, vc_ioctl(d, VFIO_DEVICE_GET_INFO, NULL));
}

TEST_F(device, region_info)
{
	struct vfio_region_info info;
	uint32_t i;
	int d = self->fds.device;

	for (i = 0; i < self->info.num_regions; i++) {
		int ret = __region_info(d, i, &info);

		if (i == VFIO_PCI_VGA_REGION_INDEX) {
			/* edu is no VGA device */
			ASSERT_EQ(-EINVAL, ret);
			continue;
		}
		ASSERT_EQ(0, ret) TH_LOG("region %u", i);
		ASSERT_EQ(i, info.index);
		if (i == VFIO_PCI_BAR0_REGION_INDEX) {
			ASSERT_EQ(EDU_BAR0_SIZE, info.size);
			ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE |
				  VFIO_REGION_INFO_FLAG_MMAP, info.flags);
		} else if (i == VFIO_PCI_CONFIG_REGION_INDEX) {
			ASSERT_LE(256, info.size);
			ASSERT_EQ(VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
				  info.flags);
		} else if (i < VFIO_PCI_ROM_REGION_INDEX) {
			/* edu has BAR0 only */
			ASSERT_EQ(0, info.size) TH_LOG("region %u", i);
		}
	}
	ASSERT_EQ(-EINVAL, __region_info(d, self->info.num_regions, &info));
	ASSERT_EQ(-EINVAL, __region_info(d, 0xffffffff, &info));
	info.argsz = offsetofend(struct vfio_region_info, offset) - 1;
	info.index = 0;
	ASSERT_EQ(-EINVAL, vc_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, &info));
}

TEST_F(device, irq_info)
{
	struct vfio_irq_info info;
	int d = self->fds.device;

	ASSERT_EQ(0, __irq_info(d, VFIO_PCI_INTX_IRQ_INDEX, &info));
	ASSERT_EQ(1, info.count);
	ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED,
		  info.flags);
	ASSERT_EQ(0, __irq_info(d, VFIO_PCI_MSI_IRQ_INDEX, &info));
	ASSERT_EQ(1, info.count);
	ASSERT_EQ(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, info.flags);
	ASSERT_EQ(0, __irq_info(d, VFIO_PCI_MSIX_IRQ_INDEX, &info));
	ASSERT_EQ(0, info.count);
	ASSERT_EQ(0, __irq_info(d, VFIO_PCI_REQ_IRQ_INDEX, &info));
	ASSERT_EQ(1, info.count);
	ASSERT_EQ(-EINVAL, __irq_info(d, VFIO_PCI_NUM_IRQS, &info));
	info.argsz = offsetofend(struct vfio_irq_info, count) - 1;
	info.index = VFIO_PCI_INTX_IRQ_INDEX;
	ASSERT_EQ(-EINVAL, vc_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, &info));
}

TEST_F(device, set_irqs_bad)
{
	uint32_t hdr = sizeof(struct vfio_irq_set), one = hdr + sizeof(int32_t);
	int d = self->fds.device;

	set_irqs_err(EINVAL, d, one, EVENTFD_TRIGGER | (1U << 31), VFIO_PCI_REQ_IRQ_INDEX, 0, 1);
	set_irqs_err(EINVAL, d, one, EVENTFD_TRIGGER, VFIO_PCI_NUM_IRQS, 0, 1);
	/* count and start against the index's one vector */
	set_irqs_err(EINVAL, d, hdr + 2 * sizeof(int32_t), EVENTFD_TRIGGER,
		     VFIO_PCI_REQ_IRQ_INDEX, 0, 2);
	set_irqs_err(EINVAL, d, one, EVENTFD_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX, 1, 1);
	set_irqs_err(EINVAL, d, one, EVENTFD_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX, 0xffffffff, 1);
	set_irqs_err(EINVAL, d, one, EVENTFD_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX, 1, 0xffffffff);
	/* argsz: short header, no room for the eventfd */
	set_irqs_err(EINVAL, d, offsetofend(struct vfio_irq_set, count) - 1, EVENTFD_TRIGGER,
		     VFIO_PCI_REQ_IRQ_INDEX, 0, 1);
	set_irqs_err(EINVAL, d, hdr, EVENTFD_TRIGGER, VFIO_PCI_REQ_IRQ_INDEX, 0, 1);
	/* two data types at once */
	set_irqs_err(EINVAL, d, one, EVENTFD_TRIGGER | VFIO_IRQ_SET_DATA_BOOL,
		     VFIO_PCI_REQ_IRQ_INDEX, 0, 1);
	/* MSI-X has no vectors on edu */
	set_irqs_err(EINVAL, d, one, EVENTFD_TRIGGER, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1);
	/* a bad eventfd */
	ASSERT_EQ(-EBADF, vc_set_req_eventfd(d, 1000000));
}

TEST_F(device, set_irqs_req)
{
	int efd = eventfd(0, EFD_NONBLOCK);

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, vc_set_req_eventfd(self->fds.device, efd));
	/* -1 tears it down; DATA_NONE with count 0 does too */
	ASSERT_EQ(0, vc_set_req_eventfd(self->fds.device, -1));
	ASSERT_EQ(0, vc_set_req_eventfd(self->fds.device, efd));
	ASSERT_EQ(0, __set_irqs(self->fds.device, sizeof(struct vfio_irq_set),
				VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
				VFIO_PCI_REQ_IRQ_INDEX, 0, 0, NULL));
	close(efd);
}

TEST_F(device, reset)
{
	int ret = vc_ioctl(self->fds.device, VFIO_DEVICE_RESET, NULL);
	uint32_t id = 0;

	/* edu on the root bus has no reset method: vfio-pci says so in the flags */
	ASSERT_EQ(self->info.flags & VFIO_DEVICE_FLAGS_RESET ? 0 : -EINVAL, ret);
	ASSERT_EQ(0, vc_edu_read_id(self->fds.device, &id));
	ASSERT_EQ(EDU_ID, id);
}

TEST_F(device, feature_bad)
{
	uint32_t min = offsetofend(struct vfio_device_feature, flags);
	int d = self->fds.device;

	feature_err(EINVAL, d, min - 1, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET);
	feature_err(EINVAL, d, 0, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION);
	feature_err(EINVAL, d, min, VFIO_DEVICE_FEATURE_GET | (1U << 19));
	feature_err(EINVAL, d, min, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET |
		    VFIO_DEVICE_FEATURE_MIGRATION);
	ASSERT_EQ(-EFAULT, vc_ioctl(d, VFIO_DEVICE_FEATURE, NULL));
}

TEST_F(device, feature_unsupported)
{
	uint32_t min = offsetofend(struct vfio_device_feature, flags);
	int d = self->fds.device;

	/* a feature nobody knows, and those edu's vfio-pci lacks, are ENOTTY */
	feature_err(ENOTTY, d, min, VFIO_DEVICE_FEATURE_GET | 0xffff);
	feature_err(ENOTTY, d, min, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_GET | 0xffff);
	feature_err(ENOTTY, d, min + 8, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION);
	feature_err(ENOTTY, d, min, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		    VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE);
	feature_err(ENOTTY, d, min, VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET |
		    VFIO_DEVICE_FEATURE_DMA_LOGGING_START);
	feature_err(ENOTTY, d, min, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PCI_VF_TOKEN);
}

TEST_F(device, unknown_ioctl)
{
	ASSERT_EQ(-ENOTTY, vc_ioctl(self->fds.device, _IO(VFIO_TYPE, VFIO_BASE + 60), NULL));
	ASSERT_EQ(-ENOTTY, vc_ioctl(self->fds.device, VFIO_GROUP_GET_STATUS, NULL));
}

TEST_F(device, rw_bad_offsets)
{
	uint64_t bar0 = VC_REGION_OFFSET(VFIO_PCI_BAR0_REGION_INDEX);
	uint32_t val = 0;
	int d = self->fds.device;

	/* no such region */
	ASSERT_EQ(-1, pread(d, &val, 4, VC_REGION_OFFSET(self->info.num_regions)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pwrite(d, &val, 4, VC_REGION_OFFSET(self->info.num_regions)));
	ASSERT_EQ(EINVAL, errno);
	/* past BAR0's end, and a BAR edu does not have */
	ASSERT_EQ(-1, pread(d, &val, 4, bar0 + EDU_BAR0_SIZE));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pread(d, &val, 4, VC_REGION_OFFSET(VFIO_PCI_BAR1_REGION_INDEX)));
	ASSERT_EQ(EINVAL, errno);
	/* the ROM is read-only; the config space ends where it ends */
	ASSERT_EQ(-1, pwrite(d, &val, 4, VC_REGION_OFFSET(VFIO_PCI_ROM_REGION_INDEX)));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(-1, pread(d, &val, 4, VC_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + 4096));
	ASSERT_EQ(EFAULT, errno);
	/* a read spanning BAR0's end is cut short */
	ASSERT_EQ(2, pread(d, &val, 4, bar0 + EDU_BAR0_SIZE - 2));
	/* plain read() starts at offset 0: BAR0 */
	ASSERT_EQ(4, read(d, &val, 4));
	ASSERT_EQ(EDU_ID, val);
	/* the config space, with edu's vendor and device IDs */
	ASSERT_EQ(4, pread(d, &val, 4, VC_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX)));
	ASSERT_EQ(0x11e81234U, val);
}

TEST_F(device, mmap_bad)
{
	uint64_t bar0 = VC_REGION_OFFSET(VFIO_PCI_BAR0_REGION_INDEX);
	int d = self->fds.device;
	struct {
		uint64_t off, len;
		int flags;
	} bad[] = {
		{ bar0, 4096, MAP_PRIVATE },
		{ bar0, 2 * EDU_BAR0_SIZE, MAP_SHARED },
		{ bar0 + EDU_BAR0_SIZE, 4096, MAP_SHARED },
		{ VC_REGION_OFFSET(VFIO_PCI_BAR1_REGION_INDEX), 4096, MAP_SHARED },
		{ VC_REGION_OFFSET(VFIO_PCI_ROM_REGION_INDEX), 4096, MAP_SHARED },
		{ VC_REGION_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX), 4096, MAP_SHARED },
		{ VC_REGION_OFFSET(self->info.num_regions), 4096, MAP_SHARED },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		void *p = mmap(NULL, bad[i].len, PROT_READ, bad[i].flags, d, bad[i].off);

		ASSERT_EQ(MAP_FAILED, p) TH_LOG("case %zu", i);
		ASSERT_EQ(EINVAL, errno) TH_LOG("case %zu", i);
	}
}

/* The device fd holds the group: closing the group fd changes nothing for it */
TEST_F(device, group_closed_device_open)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	uint32_t id = 0;

	vc_close_fd(&self->fds.group);
	ASSERT_EQ(0, vc_edu_read_id(self->fds.device, &id));
	ASSERT_EQ(EDU_ID, id);
	ASSERT_EQ(0, vc_ioctl(self->fds.container, VFIO_IOMMU_GET_INFO, &info));
	/* the group is still open through the device */
	ASSERT_EQ(-EBUSY, __group_open(self->dev.groupno));
	vc_close_fd(&self->fds.device);
	/* the last device fd released the group, and the group left the container */
	self->fds.group = __group_open(self->dev.groupno);
	ASSERT_LE(0, self->fds.group);
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(self->fds.group));
	ASSERT_EQ(-EINVAL, vc_ioctl(self->fds.container, VFIO_IOMMU_GET_INFO, &info));
}

/* The group holds the container: closing the container fd changes nothing either */
TEST_F(device, container_closed_group_in)
{
	uint32_t id = 0;
	int d2;

	vc_close_fd(&self->fds.container);
	ASSERT_EQ(GROUP_SET, group_flags(self->fds.group));
	ASSERT_EQ(0, vc_edu_read_id(self->fds.device, &id));
	ASSERT_EQ(EDU_ID, id);
	d2 = __device_fd(self->fds.group, self->dev.name);
	ASSERT_LE(0, d2);
	close(d2);
	vc_close_fd(&self->fds.device);
	/* leaving drops the last reference to the container */
	unset_container(self->fds.group);
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(self->fds.group));
}

TEST_F(device, open_twice)
{
	uint32_t id = 0;
	int d2 = __device_fd(self->fds.group, self->dev.name);

	ASSERT_LE(0, d2);
	ASSERT_NE(self->fds.device, d2);
	ASSERT_EQ(0, vc_edu_read_id(d2, &id));
	ASSERT_EQ(EDU_ID, id);
	vc_close_fd(&self->fds.device);
	unset_container_err(EBUSY, self->fds.group);
	/* the second fd keeps the device open */
	id = 0;
	ASSERT_EQ(0, vc_edu_read_id(d2, &id));
	ASSERT_EQ(EDU_ID, id);
	close(d2);
	unset_container(self->fds.group);
}

TEST_HARNESS_MAIN
