// SPDX-License-Identifier: GPL-2.0-only
/*
 * An mdev opened through VFIO: device info, its PCI config space, the short-argsz contract,
 * and a second mdev in the same container or in another one (single_usage_restriction).
 *
 * Environment (set by run.sh):
 *   MDEV_UUID           the mdev to open (the tests SKIP without it)
 *   MDEV_PCI_ID         expected first config dword, e.g. 0x32534348 (optional)
 *   MDEV_UUID2          a second mdev for the sharing tests (optional)
 *   MDEV_SECOND_ERRNO   errno expected when MDEV_UUID2 joins MDEV_UUID's container (0)
 */
#include "kselftest_harness.h"
#include "vfio_helpers.h"

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

FIXTURE(mdev_vfio) {
	const char *uuid;
	int container;
	struct vfio_mdev m;
};

FIXTURE_SETUP(mdev_vfio)
{
	int err;

	self->container = -1;
	self->uuid = getenv("MDEV_UUID");
	if (!self->uuid)
		SKIP(return, "MDEV_UUID not set");
	if (!mdev_exists(self->uuid))
		SKIP(return, "no mdev %s", self->uuid);
	ASSERT_EQ(0, vfio_container_open(&self->container));
	err = __vfio_mdev_open(self->container, self->uuid, 1, &self->m);
	ASSERT_EQ(0, err) TH_LOG("open %s: %s", self->uuid, strerror(err));
}

FIXTURE_TEARDOWN(mdev_vfio)
{
	if (self->container < 0)
		return;
	vfio_mdev_close(&self->m);
	close(self->container);
}

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

/* The second mdev in the same container: refused iff its type is single-usage. */
TEST_F(mdev_vfio, second_mdev_same_container)
{
	const char *uuid2 = getenv("MDEV_UUID2");
	const char *want = getenv("MDEV_SECOND_ERRNO");
	struct vfio_mdev m2;
	int err;

	if (setup_skipped(_metadata))
		return;

	if (!uuid2)
		SKIP(return, "MDEV_UUID2 not set");
	err = __vfio_mdev_open(self->container, uuid2, 0, &m2);
	ASSERT_EQ(want ? atoi(want) : 0, err) TH_LOG("second open: %s", strerror(err));
	if (!err)
		vfio_mdev_close(&m2);
}

/* ... while one of its own container is always fine. */
TEST_F(mdev_vfio, second_mdev_other_container)
{
	const char *uuid2 = getenv("MDEV_UUID2");
	struct vfio_mdev m2;
	int container2 = -1, err;

	if (setup_skipped(_metadata))
		return;

	if (!uuid2)
		SKIP(return, "MDEV_UUID2 not set");
	ASSERT_EQ(0, vfio_container_open(&container2));
	err = __vfio_mdev_open(container2, uuid2, 1, &m2);
	EXPECT_EQ(0, err) TH_LOG("open in another container: %s", strerror(err));
	if (!err)
		vfio_mdev_close(&m2);
	close(container2);
}

TEST_HARNESS_MAIN
