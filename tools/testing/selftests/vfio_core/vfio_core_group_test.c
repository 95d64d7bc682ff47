// SPDX-License-Identifier: GPL-2.0-only
/*
 * The group fd (/dev/vfio/N) of the edu device: status flags, joining and leaving a
 * container, exclusive open, and GET_DEVICE_FD's refusals (order, names).
 */
#include "kselftest_harness.h"
#include "vfio_core_util.h"

FIXTURE(group) {
	struct vc_dev dev;
	struct vc_fds fds;
	int container2;
};

FIXTURE_SETUP(group)
{
	self->fds.container = self->fds.group = self->fds.device = -1;
	self->container2 = -1;
	if (vc_edu_vfio(&self->dev))
		SKIP(return, "no edu device bound to vfio-pci");
	self->fds.group = __group_open(self->dev.groupno);
	ASSERT_LE(0, self->fds.group);
	self->fds.container = __container_open();
	ASSERT_LE(0, self->fds.container);
}

FIXTURE_TEARDOWN(group)
{
	vc_close(&self->fds);
	vc_close_fd(&self->container2);
}

TEST_F(group, status)
{
	int g = self->fds.group;

	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(g));
	set_container(g, self->fds.container);
	ASSERT_EQ(GROUP_SET, group_flags(g));
	set_iommu(self->fds.container, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(GROUP_SET, group_flags(g));
	unset_container(g);
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(g));
}

TEST_F(group, status_argsz)
{
	int g = self->fds.group;

	ASSERT_EQ(-EINVAL, __group_status(g, 0));
	ASSERT_EQ(-EINVAL, __group_status(g, offsetof(struct vfio_group_status, flags)));
	ASSERT_EQ(-EINVAL, __group_status(g, sizeof(struct vfio_group_status) - 1));
	/* a larger argsz is fine: the core writes only what it knows */
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE,
		  __group_status(g, sizeof(struct vfio_group_status) + 64));
	ASSERT_EQ(-EFAULT, vc_ioctl(g, VFIO_GROUP_GET_STATUS, NULL));
}

TEST_F(group, set_container_bad_fd)
{
	set_container_err(EBADF, self->fds.group, -1);
	set_container_err(EBADF, self->fds.group, 1000000);
	ASSERT_EQ(-EFAULT, vc_ioctl(self->fds.group, VFIO_GROUP_SET_CONTAINER, NULL));
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(self->fds.group));
}

TEST_F(group, set_container_not_container)
{
	int null = open("/dev/null", O_RDWR);

	ASSERT_LE(0, null);
	set_container_err(EINVAL, self->fds.group, null);
	close(null);
	/* the group fd itself is no container either */
	set_container_err(EINVAL, self->fds.group, self->fds.group);
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(self->fds.group));
}

TEST_F(group, set_container_twice)
{
	set_container(self->fds.group, self->fds.container);
	set_container_err(EINVAL, self->fds.group, self->fds.container);
	set_iommu(self->fds.container, VFIO_TYPE1v2_IOMMU);
	set_container_err(EINVAL, self->fds.group, self->fds.container);
}

TEST_F(group, set_second_container)
{
	self->container2 = __container_open();
	ASSERT_LE(0, self->container2);
	set_container(self->fds.group, self->fds.container);
	set_container_err(EINVAL, self->fds.group, self->container2);
	/* the second container got nothing: SET_IOMMU has no group to work with */
	set_iommu_err(EINVAL, self->container2, VFIO_TYPE1v2_IOMMU);
	/* after leaving the first, the group may join the second */
	unset_container(self->fds.group);
	set_container(self->fds.group, self->container2);
	set_iommu(self->container2, VFIO_TYPE1v2_IOMMU);
	set_iommu_err(EINVAL, self->fds.container, VFIO_TYPE1v2_IOMMU);
}

TEST_F(group, unset_container_not_set)
{
	unset_container_err(EINVAL, self->fds.group);
	set_container(self->fds.group, self->fds.container);
	unset_container(self->fds.group);
	unset_container_err(EINVAL, self->fds.group);
}

TEST_F(group, unset_container_device_open)
{
	int g = self->fds.group, d;

	set_container(g, self->fds.container);
	set_iommu(self->fds.container, VFIO_TYPE1v2_IOMMU);
	d = __device_fd(g, self->dev.name);
	ASSERT_LE(0, d);
	unset_container_err(EBUSY, g);
	ASSERT_EQ(GROUP_SET, group_flags(g));
	close(d);
	unset_container(g);
}

TEST_F(group, open_twice)
{
	ASSERT_EQ(-EBUSY, __group_open(self->dev.groupno));
	set_container(self->fds.group, self->fds.container);
	ASSERT_EQ(-EBUSY, __group_open(self->dev.groupno));
	/* once closed, the node opens again */
	vc_close_fd(&self->fds.group);
	self->fds.group = __group_open(self->dev.groupno);
	ASSERT_LE(0, self->fds.group);
	/* closing the group fd took it out of the container */
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(self->fds.group));
}

TEST_F(group, device_fd_before_set_iommu)
{
	device_fd_err(EINVAL, self->fds.group, self->dev.name);
	set_container(self->fds.group, self->fds.container);
	device_fd_err(EINVAL, self->fds.group, self->dev.name);
}

TEST_F(group, device_fd_names)
{
	char *longname = malloc(2 * 4096 + 1);
	char name[128];
	int g = self->fds.group;

	ASSERT_NE(NULL, longname);
	set_container(g, self->fds.container);
	set_iommu(self->fds.container, VFIO_TYPE1v2_IOMMU);
	device_fd_err(ENODEV, g, "0000:ff:1f.7");
	device_fd_err(ENODEV, g, "");
	/* vfio-pci matches the PCI name, then options after a space */
	snprintf(name, sizeof(name), "%sx", self->dev.name);
	device_fd_err(ENODEV, g, name);
	snprintf(name, sizeof(name), "%s bogus=1", self->dev.name);
	device_fd_err(EINVAL, g, name);
	/* the core copies at most a page of name */
	memset(longname, 'a', 2 * 4096);
	longname[2 * 4096] = 0;
	device_fd_err(EINVAL, g, longname);
	free(longname);
	device_fd_err(EFAULT, g, NULL);
	/* the group still works after every refusal */
	self->fds.device = __device_fd(g, self->dev.name);
	ASSERT_LE(0, self->fds.device);
}

TEST_F(group, unknown_ioctl)
{
	ASSERT_EQ(-ENOTTY, vc_ioctl(self->fds.group, _IO(VFIO_TYPE, VFIO_BASE + 60), NULL));
	ASSERT_EQ(-ENOTTY, vc_ioctl(self->fds.group, VFIO_GET_API_VERSION, NULL));
}

TEST_HARNESS_MAIN
