/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The kselftest fixture of the mdev VFIO tests: a container of its own with the mdev
 * named by $MDEV_UUID opened in it (type1v2). Tests SKIP without MDEV_UUID.
 */
#ifndef __MDEV_VFIO_FIXTURE_H
#define __MDEV_VFIO_FIXTURE_H

#include "kselftest_harness.h"
#include "vfio_helpers.h"

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

#endif /* __MDEV_VFIO_FIXTURE_H */
