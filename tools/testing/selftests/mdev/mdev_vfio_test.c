// SPDX-License-Identifier: GPL-2.0-only
/*
 * An mdev opened through VFIO: device info, its PCI config space and the short-argsz
 * contract.
 *
 * Environment (set by run.sh):
 *   MDEV_UUID           the mdev to open (the tests SKIP without it)
 *   MDEV_PCI_ID         expected first config dword, e.g. 0x32534348 (optional)
 */
#include "mdev_vfio_fixture.h"

static int __device_get_info(int device, struct vfio_device_info *info, __u32 argsz)
{
	memset(info, 0, sizeof(*info));
	info->argsz = argsz;
	return ioctl(device, VFIO_DEVICE_GET_INFO, info) ? errno : 0;
}

#define device_get_info(_dev, _info) \
	ASSERT_EQ(0, __device_get_info((_dev), (_info), sizeof(*(_info))))
#define device_get_info_err(_err, _dev, _info, _argsz) \
	ASSERT_EQ((_err), __device_get_info((_dev), (_info), (_argsz)))

TEST_F(mdev_vfio, device_info)
{
	struct vfio_device_info info;

	if (setup_skipped(_metadata))
		return;

	device_get_info(self->m.device, &info);
	EXPECT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);
	EXPECT_LE(VFIO_PCI_NUM_REGIONS, info.num_regions);
	EXPECT_LE(VFIO_PCI_INTX_IRQ_INDEX + 1, info.num_irqs);
}

TEST_F(mdev_vfio, device_info_short_argsz)
{
	struct vfio_device_info info;

	if (setup_skipped(_metadata))
		return;

	device_get_info_err(EINVAL, self->m.device, &info, 4);
}

TEST_F(mdev_vfio, config_space)
{
	struct vfio_region_info reg = {
		.argsz = sizeof(reg), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	const char *want = getenv("MDEV_PCI_ID");
	__u32 id = 0;

	if (setup_skipped(_metadata))
		return;

	ASSERT_EQ(0, ioctl(self->m.device, VFIO_DEVICE_GET_REGION_INFO, &reg));
	ASSERT_LE(64, reg.size);
	ASSERT_EQ(4, pread(self->m.device, &id, 4, reg.offset));
	EXPECT_NE(0, id);
	EXPECT_NE(0xffffffff, id);
	if (want)
		EXPECT_EQ(strtoul(want, NULL, 0), id);
}

TEST_HARNESS_MAIN
