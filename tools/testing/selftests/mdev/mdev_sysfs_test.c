// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mdev sysfs ABI with stock vendor drivers (mtty, mdpy, mbochs): type attributes,
 * creation and removal, their errnos on bad input, links and instance accounting.
 *
 * Each errno is asserted and also printed as "# errno-table: <variant>.<case> <errno>";
 * run.sh runs this binary on our stack and on the stock one in the same boot and diffs
 * the tables.
 */
#include <ctype.h>
#include <libgen.h>

#include "kselftest_harness.h"
#include "mdev_helpers.h"

#define UUID_A "a0e1b2c3-d4e5-4f60-8172-839405a6b7c8"
#define UUID_A_UPPER "A0E1B2C3-D4E5-4F60-8172-839405A6B7C8"
#define UUID_B "b0e1b2c3-d4e5-4f60-8172-839405a6b7c8"
#define UUID_FMT_N "c0e1b2c3-d4e5-4f60-8172-8394%08x"

static void record(const char *variant, const char *what, int err)
{
	ksft_print_msg("errno-table: %s.%s %s\n", variant, what,
		       err ? strerrorname_np(err) : "0");
	/* The harness runs each test in a child that leaves with _exit() */
	fflush(stdout);
}

#define mdev_create_err(_err, _case, _str) do {					\
	int __e = __mdev_create(self->type, (_str));				\
	record(variant->name, (_case), __e);					\
	ASSERT_EQ((_err), __e) TH_LOG("create '%s': %s", (_str), strerror(__e));	\
} while (0)
#define mdev_create(_case, _str) mdev_create_err(0, _case, _str)

#define mdev_remove_err(_err, _case, _uuid, _str) do {				\
	int __e = __mdev_remove((_uuid), (_str));				\
	record(variant->name, (_case), __e);					\
	ASSERT_EQ((_err), __e) TH_LOG("remove '%s': %s", (_str), strerror(__e));	\
} while (0)
#define mdev_remove(_case, _uuid) mdev_remove_err(0, _case, _uuid, "1")

FIXTURE(mdev_type) {
	char type[PATH_MAX];
	char other[PATH_MAX];
	long avail;
};

FIXTURE_VARIANT(mdev_type) {
	const char *name;
	const char *parent;
	const char *type;
	const char *other;		/* a second type of the same parent */
	const char *driver;
	int exhausted_errno;		/* create when no instance is left */
	bool has_description;
};

FIXTURE_VARIANT_ADD(mdev_type, mtty) {
	.name = "mtty", .parent = "mtty", .type = "mtty-2", .other = "mtty-1",
	.driver = "mtty", .exhausted_errno = ENOSPC, .has_description = false,
};

FIXTURE_VARIANT_ADD(mdev_type, mdpy) {
	.name = "mdpy", .parent = "mdpy", .type = "mdpy-vga", .other = "mdpy-xga",
	.driver = "mdpy", .exhausted_errno = EUSERS, .has_description = true,
};

FIXTURE_VARIANT_ADD(mdev_type, mbochs) {
	.name = "mbochs", .parent = "mbochs", .type = "mbochs-large", .other = "mbochs-small",
	.driver = "mbochs", .exhausted_errno = ENOSPC, .has_description = true,
};

static void remove_test_mdevs(void)
{
	char uuid[64];
	int i;

	__mdev_remove(UUID_A, "1");
	__mdev_remove(UUID_B, "1");
	for (i = 0; i < 64; i++) {
		snprintf(uuid, sizeof(uuid), UUID_FMT_N, i);
		if (mdev_exists(uuid))
			__mdev_remove(uuid, "1");
	}
}

FIXTURE_SETUP(mdev_type)
{
	snprintf(self->type, sizeof(self->type), "/sys/class/mdev_bus/%s/mdev_supported_types/%s",
		 variant->parent, variant->type);
	snprintf(self->other, sizeof(self->other), "/sys/class/mdev_bus/%s/mdev_supported_types/%s",
		 variant->parent, variant->other);
	if (access(self->type, F_OK))
		SKIP(return, "%s not loaded (%s missing)", variant->driver, self->type);
	remove_test_mdevs();
	self->avail = sysfs_read_long(self->type, "available_instances");
	ASSERT_GT(self->avail, 1);
}

FIXTURE_TEARDOWN(mdev_type)
{
	if (access(self->type, F_OK))
		return;
	remove_test_mdevs();
	/* Every test leaves the count where it found it */
	EXPECT_EQ(self->avail, sysfs_read_long(self->type, "available_instances"));
}

TEST_F(mdev_type, attributes)
{
	char buf[256];

	if (setup_skipped(_metadata))
		return;

	ASSERT_EQ(0, sysfs_read(strcat(strcpy(buf, self->type), "/device_api"), buf, sizeof(buf)));
	EXPECT_STREQ("vfio-pci", buf);
	ASSERT_EQ(0, sysfs_read(strcat(strcpy(buf, self->type), "/name"), buf, sizeof(buf)));
	EXPECT_NE(0, strlen(buf));
	EXPECT_EQ(variant->has_description,
		  path_exists("%s/%s", self->type, "description"));
	EXPECT_TRUE(path_exists("%s/%s", self->type, "devices"));
	/* Stock drivers never declare it */
	EXPECT_FALSE(path_exists("%s/%s", self->type, "single_usage_restriction"));
	EXPECT_TRUE(path_exists("/sys/class/mdev_bus/%s%s", variant->parent, ""));
}

TEST_F(mdev_type, file_modes)
{
	char path[PATH_MAX];
	int fd;

	if (setup_skipped(_metadata))
		return;

	snprintf(path, sizeof(path), "%s/create", self->type);
	fd = open(path, O_RDONLY);
	record(variant->name, "read_create", fd < 0 ? errno : 0);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EACCES, errno);

	snprintf(path, sizeof(path), "%s/available_instances", self->type);
	fd = open(path, O_WRONLY);
	record(variant->name, "write_available_instances", fd < 0 ? errno : 0);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EACCES, errno);
}

TEST_F(mdev_type, malformed_uuids)
{
	if (setup_skipped(_metadata))
		return;

	mdev_create_err(EINVAL, "empty_line", "\n");
	mdev_create_err(EINVAL, "short", "1234");
	mdev_create_err(EINVAL, "35_chars", "a0e1b2c3-d4e5-4f60-8172-839405a6b7c");
	mdev_create_err(EINVAL, "bad_hex", "g0e1b2c3-d4e5-4f60-8172-839405a6b7c8");
	mdev_create_err(EINVAL, "dash_moved", "a0e1b2c3d-4e5-4f60-8172-839405a6b7c8");
	mdev_create_err(EINVAL, "braces", "{a0e1b2c3-d4e5-4f60-8172-839405a6b7c}");
	mdev_create_err(EINVAL, "38_chars", UUID_A "\n\n");
	mdev_create_err(EINVAL, "leading_space", " " UUID_A);
	EXPECT_EQ(self->avail, sysfs_read_long(self->type, "available_instances"));
	EXPECT_FALSE(mdev_exists(UUID_A));
}

TEST_F(mdev_type, create_and_remove)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	if (setup_skipped(_metadata))
		return;

	mdev_create("create_newline", UUID_A "\n");
	ASSERT_TRUE(mdev_exists(UUID_A));
	EXPECT_GT(self->avail, sysfs_read_long(self->type, "available_instances"));

	/* <uuid>/mdev_type -> the type, <type>/devices/<uuid> -> the mdev, driver, group */
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/mdev_type", UUID_A);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_GT(n, 0);
	link[n] = '\0';
	EXPECT_STREQ(variant->type, basename(link));
	EXPECT_TRUE(path_exists("%s/devices/%s", self->type, UUID_A));
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/driver", UUID_A);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_GT(n, 0);
	link[n] = '\0';
	EXPECT_STREQ(variant->driver, basename(link));
	EXPECT_TRUE(path_exists(MDEV_DEVICES "/%s/%s", UUID_A, "iommu_group"));

	mdev_remove_err(EINVAL, "remove_garbage", UUID_A, "abc");
	mdev_remove_err(EINVAL, "remove_empty_line", UUID_A, "\n");
	mdev_remove_err(0, "remove_zero", UUID_A, "0");
	EXPECT_TRUE(mdev_exists(UUID_A));
	mdev_remove("remove", UUID_A);
	EXPECT_FALSE(mdev_exists(UUID_A));
	EXPECT_FALSE(path_exists("%s/devices/%s", self->type, UUID_A));
	mdev_remove_err(ENOENT, "remove_gone", UUID_A, "1");
	EXPECT_EQ(self->avail, sysfs_read_long(self->type, "available_instances"));
}

TEST_F(mdev_type, quirky_but_stock)
{
	if (setup_skipped(_metadata))
		return;

	/* Like stock: 36 characters of UUID plus any one character, any case */
	mdev_create("create_no_newline", UUID_A);
	mdev_remove("remove_no_newline", UUID_A);
	mdev_create("create_trailing_x", UUID_A "x");
	mdev_remove("remove_trailing_x", UUID_A);
	mdev_create("create_upper", UUID_A_UPPER "\n");
	EXPECT_TRUE(mdev_exists(UUID_A));
	mdev_remove("remove_upper", UUID_A);
	mdev_create("create_remove_2", UUID_A);
	mdev_remove_err(0, "remove_2", UUID_A, "2");
	mdev_create("create_remove_hex", UUID_A);
	mdev_remove_err(0, "remove_hex", UUID_A, "0x1\n");
}

TEST_F(mdev_type, duplicates)
{
	if (setup_skipped(_metadata))
		return;

	mdev_create("dup_first", UUID_A "\n");
	mdev_create_err(EEXIST, "dup_same", UUID_A "\n");
	mdev_create_err(EEXIST, "dup_upper", UUID_A_UPPER "\n");
	mdev_create_err(EEXIST, "dup_no_newline", UUID_A);
	if (!access(self->other, F_OK)) {
		int e = __mdev_create(self->other, UUID_A "\n");

		record(variant->name, "dup_other_type_dir", e);
		EXPECT_EQ(EEXIST, e);
	}
	EXPECT_EQ(self->avail - 1, sysfs_read_long(self->type, "available_instances"));
	mdev_remove("dup_remove", UUID_A);
}

TEST_F(mdev_type, remove_twice_one_fd)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (setup_skipped(_metadata))
		return;

	mdev_create("twice_create", UUID_A "\n");
	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/remove", UUID_A);
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(2, write(fd, "1\n", 2));
	EXPECT_FALSE(mdev_exists(UUID_A));
	n = write(fd, "1\n", 2);
	record(variant->name, "twice_second_write", n < 0 ? errno : 0);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(ENODEV, errno);
	close(fd);
}

TEST_F(mdev_type, exhaust_instances)
{
	char uuid[64];
	long i, n = self->avail;
	int e;

	if (setup_skipped(_metadata))
		return;

	ASSERT_LT(n, 64);
	for (i = 0; i < n; i++) {
		snprintf(uuid, sizeof(uuid), UUID_FMT_N, (unsigned int)i);
		ASSERT_EQ(0, __mdev_create(self->type, uuid)) TH_LOG("mdev %ld of %ld", i, n);
		EXPECT_EQ(n - i - 1, sysfs_read_long(self->type, "available_instances"));
	}
	snprintf(uuid, sizeof(uuid), UUID_FMT_N, (unsigned int)n);
	e = __mdev_create(self->type, uuid);
	record(variant->name, "exhausted", e);
	EXPECT_EQ(variant->exhausted_errno, e);
	EXPECT_FALSE(mdev_exists(uuid));
	EXPECT_EQ(0, sysfs_read_long(self->type, "available_instances"));

	for (i = 0; i < n; i++) {
		snprintf(uuid, sizeof(uuid), UUID_FMT_N, (unsigned int)i);
		EXPECT_EQ(0, __mdev_remove(uuid, "1"));
	}
}

TEST_HARNESS_MAIN
