// SPDX-License-Identifier: GPL-2.0-only
/*
 * The container fd (/dev/vfio/vfio): API version, extensions before and after SET_IOMMU,
 * SET_IOMMU's refusals, and what the container passes to its backend (nothing until an
 * IOMMU is set). SET_IOMMU needs a group in the container: the edu's, bound to vfio-pci.
 */
#include "kselftest_harness.h"
#include "vfio_core_util.h"

/* An ioctl number no VFIO layer knows */
#define VFIO_BOGUS	_IO(VFIO_TYPE, VFIO_BASE + 60)

TEST(api_version)
{
	int c = __container_open();

	ASSERT_LE(0, c);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(c, VFIO_GET_API_VERSION));
	close(c);
}

FIXTURE(container) {
	struct vc_dev dev;
	struct vc_fds fds;
};

FIXTURE_SETUP(container)
{
	self->fds.container = self->fds.group = self->fds.device = -1;
	if (vc_edu_vfio(&self->dev))
		SKIP(return, "no edu device bound to vfio-pci");
	self->fds.container = __container_open();
	ASSERT_LE(0, self->fds.container);
	self->fds.group = __group_open(self->dev.groupno);
	ASSERT_LE(0, self->fds.group);
}

FIXTURE_TEARDOWN(container)
{
	vc_close(&self->fds);
}

/* Every type1 flavour is offered by the registered backend, the others by nobody */
static void check_type1_extensions(struct __test_metadata *_metadata, int c)
{
	ASSERT_EQ(1, __check_extension(c, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(1, __check_extension(c, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, __check_extension(c, VFIO_TYPE1_NESTING_IOMMU));
	ASSERT_EQ(0, __check_extension(c, VFIO_SPAPR_TCE_IOMMU));
	ASSERT_EQ(0, __check_extension(c, VFIO_SPAPR_TCE_v2_IOMMU));
	ASSERT_EQ(0, __check_extension(c, VFIO_NOIOMMU_IOMMU));
	ASSERT_EQ(0, __check_extension(c, VFIO_EEH));
	ASSERT_EQ(0, __check_extension(c, 0xbad));
}

TEST_F(container, check_extension_before_set_iommu)
{
	int c = self->fds.container;

	check_type1_extensions(_metadata, c);
	ASSERT_EQ(1, __check_extension(c, VFIO_UNMAP_ALL));
	/* no backend instance yet: no vaddr updates, cache coherency unknown */
	ASSERT_EQ(0, __check_extension(c, VFIO_UPDATE_VADDR));
	ASSERT_EQ(0, __check_extension(c, VFIO_DMA_CC_IOMMU));
	/* a group in the container changes nothing before SET_IOMMU */
	set_container(self->fds.group, c);
	check_type1_extensions(_metadata, c);
}

TEST_F(container, check_extension_after_set_iommu)
{
	int c = self->fds.container, cc;

	set_container(self->fds.group, c);
	set_iommu(c, VFIO_TYPE1v2_IOMMU);
	check_type1_extensions(_metadata, c);
	ASSERT_EQ(1, __check_extension(c, VFIO_UNMAP_ALL));
	/* a physical group only: vaddr updates allowed */
	ASSERT_EQ(1, __check_extension(c, VFIO_UPDATE_VADDR));
	cc = __check_extension(c, VFIO_DMA_CC_IOMMU);
	ASSERT_TRUE(cc == 0 || cc == 1);
}

TEST_F(container, set_iommu_without_group)
{
	set_iommu_err(EINVAL, self->fds.container, VFIO_TYPE1v2_IOMMU);
	set_iommu_err(EINVAL, self->fds.container, VFIO_TYPE1_IOMMU);
}

TEST_F(container, set_iommu_bad_type)
{
	set_container(self->fds.group, self->fds.container);
	set_iommu_err(ENODEV, self->fds.container, 0xbad);
	set_iommu_err(ENODEV, self->fds.container, VFIO_SPAPR_TCE_IOMMU);
	set_iommu_err(ENODEV, self->fds.container, VFIO_NOIOMMU_IOMMU);
	/* refusals leave the container unset: a good type still works */
	set_iommu(self->fds.container, VFIO_TYPE1v2_IOMMU);
}

TEST_F(container, set_iommu_twice)
{
	set_container(self->fds.group, self->fds.container);
	set_iommu(self->fds.container, VFIO_TYPE1v2_IOMMU);
	set_iommu_err(EINVAL, self->fds.container, VFIO_TYPE1v2_IOMMU);
	set_iommu_err(EINVAL, self->fds.container, VFIO_TYPE1_IOMMU);
}

TEST_F(container, set_iommu_type1)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

	set_container(self->fds.group, self->fds.container);
	set_iommu(self->fds.container, VFIO_TYPE1_IOMMU);
	ASSERT_EQ(0, vc_ioctl(self->fds.container, VFIO_IOMMU_GET_INFO, &info));
}

TEST_F(container, unknown_ioctl)
{
	/* nothing to pass an unknown ioctl to: the core refuses it itself */
	ASSERT_EQ(-EINVAL, vc_ioctl(self->fds.container, VFIO_BOGUS, NULL));
	set_container(self->fds.group, self->fds.container);
	ASSERT_EQ(-EINVAL, vc_ioctl(self->fds.container, VFIO_BOGUS, NULL));
	set_iommu(self->fds.container, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(-ENOTTY, vc_ioctl(self->fds.container, VFIO_BOGUS, NULL));
	ASSERT_EQ(-ENOTTY, vc_ioctl(self->fds.container, _IO('x', 1), NULL));
}

TEST_F(container, iommu_ioctls_before_set_iommu)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .size = 4096,
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
	};
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap), .size = 4096 };
	int c = self->fds.container;

	ASSERT_EQ(-EINVAL, vc_ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_EQ(-EINVAL, vc_ioctl(c, VFIO_IOMMU_MAP_DMA, &map));
	ASSERT_EQ(-EINVAL, vc_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &unmap));
	set_container(self->fds.group, c);
	ASSERT_EQ(-EINVAL, vc_ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	ASSERT_EQ(-EINVAL, vc_ioctl(c, VFIO_IOMMU_MAP_DMA, &map));
	set_iommu(c, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(0, vc_ioctl(c, VFIO_IOMMU_GET_INFO, &info));
}

/* Removing the last group deprivileges the container: back to no backend */
TEST_F(container, unset_last_group_drops_iommu)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	int c = self->fds.container;

	set_container(self->fds.group, c);
	set_iommu(c, VFIO_TYPE1v2_IOMMU);
	unset_container(self->fds.group);
	ASSERT_EQ(-EINVAL, vc_ioctl(c, VFIO_IOMMU_GET_INFO, &info));
	set_iommu_err(EINVAL, c, VFIO_TYPE1v2_IOMMU);
	set_container(self->fds.group, c);
	set_iommu(c, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(0, vc_ioctl(c, VFIO_IOMMU_GET_INFO, &info));
}

TEST_HARNESS_MAIN
