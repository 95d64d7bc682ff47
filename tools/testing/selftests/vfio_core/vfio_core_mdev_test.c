// SPDX-License-Identifier: GPL-2.0-only
/*
 * The emulated-IOMMU path of the core: an mdev of the kernel's mtty sample (run.sh loads
 * it) has a group of its own with no IOMMU behind it; it is opened through container,
 * group and device fds like a physical device.
 */
#include "kselftest_harness.h"
#include "vfio_core_util.h"

#define MTTY_TYPES	"/sys/class/mdev_bus/mtty/mdev_supported_types"

FIXTURE(mdev) {
	struct vc_dev dev;
	struct vc_fds fds;
	char remove[PATH_MAX + 16];
};

FIXTURE_SETUP(mdev)
{
	char path[PATH_MAX];
	glob_t g;

	self->fds.container = self->fds.group = self->fds.device = -1;
	self->remove[0] = 0;
	if (glob(MTTY_TYPES "/*", 0, NULL, &g))
		SKIP(return, "no mtty parent (modprobe mtty)");
	snprintf(path, sizeof(path), "%s/create", g.gl_pathv[0]);
	globfree(&g);
	ASSERT_EQ(0, sysfs_attr_read("/proc/sys/kernel/random/uuid", self->dev.name,
				     sizeof(self->dev.name)));
	ASSERT_EQ(0, sysfs_attr_write(path, self->dev.name));
	snprintf(self->dev.path, sizeof(self->dev.path), "/sys/bus/mdev/devices/%s",
		 self->dev.name);
	snprintf(self->remove, sizeof(self->remove), "%s/remove", self->dev.path);
	self->dev.groupno = sysfs_dev_iommu_group(self->dev.path);
	ASSERT_LE(0, self->dev.groupno);
}

FIXTURE_TEARDOWN(mdev)
{
	vc_close(&self->fds);
	if (self->remove[0])
		sysfs_attr_write(self->remove, "1");
}

TEST_F(mdev, open_get_info)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char drv[64];

	vc_dev_driver(self->dev.path, drv, sizeof(drv));
	ASSERT_STREQ("mtty", drv);
	self->fds.group = __group_open(self->dev.groupno);
	ASSERT_LE(0, self->fds.group);
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(self->fds.group));
	vc_close(&self->fds);
	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(GROUP_SET, group_flags(self->fds.group));
	ASSERT_EQ(0, vc_ioctl(self->fds.device, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	ASSERT_EQ(VFIO_PCI_NUM_REGIONS, info.num_regions);
	ASSERT_EQ(VFIO_PCI_NUM_IRQS, info.num_irqs);
}

TEST_F(mdev, device_fd_errors)
{
	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, 0));
	device_fd_err(EINVAL, self->fds.group, self->dev.name);
	set_iommu(self->fds.container, VFIO_TYPE1v2_IOMMU);
	/* no match op: only the exact device name */
	device_fd_err(ENODEV, self->fds.group, "");
	device_fd_err(ENODEV, self->fds.group, "00000000-0000-0000-0000-000000000000");
	self->fds.device = __device_fd(self->fds.group, self->dev.name);
	ASSERT_LE(0, self->fds.device);
	unset_container_err(EBUSY, self->fds.group);
}

/* An emulated group and the edu's physical one share a type1 container */
TEST_F(mdev, shared_container)
{
	struct vc_dev edu;
	uint32_t id = 0;
	int g2, d2;

	if (vc_edu_vfio(&edu))
		SKIP(return, "no edu device bound to vfio-pci");
	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, VFIO_TYPE1v2_IOMMU));
	g2 = __group_open(edu.groupno);
	ASSERT_LE(0, g2);
	set_container(g2, self->fds.container);
	d2 = __device_fd(g2, edu.name);
	ASSERT_LE(0, d2);
	ASSERT_EQ(0, vc_edu_read_id(d2, &id));
	ASSERT_EQ(EDU_ID, id);
	close(d2);
	unset_container(g2);
	close(g2);
	/* the mdev's group keeps the container and its IOMMU */
	ASSERT_EQ(GROUP_SET, group_flags(self->fds.group));
}

TEST_HARNESS_MAIN
