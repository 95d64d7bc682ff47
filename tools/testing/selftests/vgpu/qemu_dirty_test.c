// SPDX-License-Identifier: GPL-2.0-only
/*
 * qemu_dirty_test: the host's side of the nested-guest dirty tracking check. QEMU owns the
 * VFIO container of the guest's vGPU; this test takes a duplicate of that container fd
 * with pidfd_getfd(2) and drives VFIO_IOMMU_DIRTY_PAGES on it, while a program in the
 * guest (guest/vgpu_ce_guest, given the handshake directory) makes the copy engine write
 * some of its pages and only read or leave alone the others. The pages the guest wrote
 * must be in the type1 dirty bitmap, exactly once, and no other page of the guest.
 *
 * Handshake (files in the runner's run directory, the guest's /run/vm):
 *   guest -> ce-pages   "w GPA" (the engine will write it) / "c GPA" (it will not) lines
 *   host  -> ce-go      dirty tracking is on: go
 *   guest -> ce-done    the engine has run
 *   host  -> ce-read    the bitmap is read: the guest may go on
 * Env: QEMU_PID (the QEMU running the guest), HANDSHAKE_DIR (the run directory).
 */
#include <sys/pidfd.h>

#include "kselftest_harness.h"
#include "../vfio/type1_util.h"

/* QEMU maps guest RAM at IOVA = guest physical address; this covers a 512 MiB guest's
 * RAM and everything else it maps below 4 GiB, and ends in a hole, as GET_BITMAP needs.
 */
#define GUEST_SPAN	(64ull << 30)
#define BITMAP_BYTES	(GUEST_SPAN / SZ_4K / 8)
#define MAX_PAGES	64
#define WAIT_GUEST_S	300
#define WAIT_ENGINE_S	60

struct guest_pages {
	uint64_t gpa[MAX_PAGES];
	char kind[MAX_PAGES];	/* 'w': the engine writes it, 'c': it must stay clean */
	int count;
};

static const char *env_or_empty(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

static void handshake_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", env_or_empty("HANDSHAKE_DIR"), name);
}

/*
 * Wait up to @secs for the guest's file @name: 0 once it is there, -ETIMEDOUT if not, and
 * -ESRCH as soon as QEMU is gone (its guest died: the runner boots it again, and the
 * caller starts over with the next boot's QEMU).
 */
static int wait_for_file(const char *name, int secs)
{
	pid_t qemu = atoi(env_or_empty("QEMU_PID"));
	char path[PATH_MAX];
	int i;

	handshake_path(path, sizeof(path), name);
	for (i = 0; i < secs * 10; i++) {
		if (!access(path, F_OK))
			return 0;
		if (kill(qemu, 0) && errno == ESRCH)
			return -ESRCH;
		usleep(100 * 1000);
	}
	return -ETIMEDOUT;
}

static int create_file(const char *name)
{
	char path[PATH_MAX];
	int fd;

	handshake_path(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int read_guest_pages(struct guest_pages *p)
{
	char path[PATH_MAX], kind;
	unsigned long long gpa;
	FILE *f;

	handshake_path(path, sizeof(path), "ce-pages");
	f = fopen(path, "r");
	if (!f)
		return -errno;
	p->count = 0;
	while (p->count < MAX_PAGES && fscanf(f, " %c %llx", &kind, &gpa) == 2) {
		p->kind[p->count] = kind;
		p->gpa[p->count++] = gpa;
	}
	fclose(f);
	return p->count ? 0 : -ENODATA;
}

/* A duplicate of the fd QEMU (@pid) holds on /dev/vfio/vfio, or -errno */
static int grab_qemu_container(pid_t pid)
{
	char dir[64], path[PATH_MAX], target[64];
	int pidfd, fd = -ENOENT;
	struct dirent *d;
	DIR *dd;
	ssize_t n;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	dd = opendir(dir);
	if (!dd)
		return -errno;
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		fd = -errno;
		goto out_dir;
	}
	while ((d = readdir(dd))) {
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "/dev/vfio/vfio"))
			continue;
		fd = pidfd_getfd(pidfd, atoi(d->d_name), 0);
		if (fd < 0)
			fd = -errno;
		break;
	}
	close(pidfd);
out_dir:
	closedir(dd);
	return fd;
}

/* Is the page of @gpa in the bitmap of [0, GUEST_SPAN)? */
static bool is_dirty(const uint64_t *bits, uint64_t gpa)
{
	return gpa < GUEST_SPAN && t1_test_bit(bits, gpa / SZ_4K);
}

/* GET_BITMAP of all the guest, into a cleared @bits; 0 or -errno */
static int guest_dirty_get(int container, uint64_t *bits)
{
	memset(bits, 0, BITMAP_BYTES);
	return __dirty_get(container, 0, GUEST_SPAN, SZ_4K, bits, BITMAP_BYTES);
}

TEST(guest_copy_engine_writes_reach_the_dirty_bitmap)
{
	static uint64_t bits[BITMAP_BYTES / 8];
	struct guest_pages pages = { .count = 0 };
	int container, i, written = 0;

	ASSERT_NE(0, atoi(env_or_empty("QEMU_PID")));
	ASSERT_NE(0, strlen(env_or_empty("HANDSHAKE_DIR")));
	ASSERT_EQ(0, wait_for_file("ce-pages", WAIT_GUEST_S))
		TH_LOG("the guest never said which pages it uses");
	ASSERT_EQ(0, read_guest_pages(&pages));
	for (i = 0; i < pages.count; i++)
		written += pages.kind[i] == 'w';
	TH_LOG("guest pages: %d the engine writes, %d it does not", written,
	       pages.count - written);
	ASSERT_NE(0, written);

	container = grab_qemu_container(atoi(getenv("QEMU_PID")));
	ASSERT_LE(0, container) TH_LOG("no VFIO container in QEMU: %s", strerror(-container));
	ASSERT_EQ(1, ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));

	ASSERT_EQ(0, __dirty(container, VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
	/* only the vGPU is in the container: pinned-page scope, nothing dirty yet */
	ASSERT_EQ(0, guest_dirty_get(container, bits));
	EXPECT_EQ(0, (long)t1_popcount(bits, BITMAP_BYTES));

	ASSERT_EQ(0, create_file("ce-go"));
	ASSERT_EQ(0, wait_for_file("ce-done", WAIT_ENGINE_S))
		TH_LOG("the guest's copy engine run never finished");

	ASSERT_EQ(0, guest_dirty_get(container, bits));
	/* braces: the harness's EXPECT with TH_LOG is two statements */
	for (i = 0; i < pages.count; i++) {
		EXPECT_EQ(pages.kind[i] == 'w', is_dirty(bits, pages.gpa[i]))
			TH_LOG("guest page %#llx ('%c')", (unsigned long long)pages.gpa[i],
			       pages.kind[i]);
	}
	/* and no other page of the guest: the engine is the only writer in the container */
	EXPECT_EQ(written, (long)t1_popcount(bits, BITMAP_BYTES));
	/* a read clears what it reported */
	ASSERT_EQ(0, guest_dirty_get(container, bits));
	EXPECT_EQ(0, (long)t1_popcount(bits, BITMAP_BYTES));
	EXPECT_EQ(0, __dirty(container, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
	EXPECT_EQ(0, create_file("ce-read"));
	close(container);
}

TEST_HARNESS_MAIN
