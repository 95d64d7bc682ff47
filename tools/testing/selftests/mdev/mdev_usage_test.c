// SPDX-License-Identifier: GPL-2.0-only
/*
 * single_usage_restriction through VFIO: a second mdev opened into the container of a
 * first one, and into a container of its own.
 *
 * Environment (set by run.sh):
 *   MDEV_UUID           the first mdev (the tests SKIP without it)
 *   MDEV_UUID2          the second mdev (the tests SKIP without it)
 *   MDEV_SECOND_ERRNO   errno expected when MDEV_UUID2 joins MDEV_UUID's container (0)
 */
#include "mdev_vfio_fixture.h"

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
