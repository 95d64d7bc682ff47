// SPDX-License-Identifier: GPL-2.0-only
/*
 * Many threads at once on one edu group: device fds opened, used and closed in a loop, and
 * SET_CONTAINER/SET_IOMMU/GET_DEVICE_FD/UNSET_CONTAINER raced between two containers, and
 * MAP_DMA/UNMAP_DMA raced with the last group leaving (which drops the backend under them).
 * Every call must succeed or fail with an errno that one ordering of the calls explains;
 * afterwards the group must be as good as new. run.sh unloads the stack after the suite,
 * which fails if anything leaked a reference.
 */
#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vfio_core_util.h"

#define NTHREADS	8
#define RUN_SECONDS	3

struct race {
	const struct vc_dev *dev;
	int group;
	int containers[2];
	time_t end;
	bool read_id;		/* BAR0 is mapped by a device fd the test holds */
	void *buf;		/* 4 KiB per thread, for MAP_DMA */
	pthread_barrier_t start;
};

struct racer {
	struct race *race;
	int idx;
	long loops;
	long mapped;		/* MAP_DMA calls that succeeded */
	int bad_errno;		/* the first unexplained result, 0 when none */
	const char *bad_op;
};

static void racer_bad(struct racer *r, const char *op, int err)
{
	if (!r->bad_errno) {
		r->bad_errno = err;
		r->bad_op = op;
	}
}

/*
 * Open, use and close a device fd: nothing may fail. BAR access only while the test holds
 * a device fd with BAR0 set up: vfio-pci's lazy BAR setup is not safe against a racing
 * first access (the loser gets EBUSY), and that is vfio-pci's business, not the core's.
 */
static void *open_close_loop(void *arg)
{
	struct racer *r = arg;
	struct race *race = r->race;

	pthread_barrier_wait(&race->start);
	while (time(NULL) < race->end && !r->bad_errno) {
		struct vfio_device_info info = { .argsz = sizeof(info) };
		uint32_t id = 0;
		int d = __device_fd(race->group, race->dev->name), ret;

		if (d < 0) {
			racer_bad(r, "GET_DEVICE_FD", -d);
			break;
		}
		ret = vc_ioctl(d, VFIO_DEVICE_GET_INFO, &info);
		if (ret)
			racer_bad(r, "GET_INFO", -ret);
		if (race->read_id) {
			ret = vc_edu_read_id(d, &id);
			if (ret || id != EDU_ID)
				racer_bad(r, "read id", ret ? -ret : EIO);
		}
		close(d);
		r->loops++;
	}
	return NULL;
}

static bool errno_in(int ret, int a, int b)
{
	return !ret || ret == -a || ret == -b;
}

/* Join a container, set its IOMMU, open a device, leave: refusals must be explained */
static void *set_unset_loop(void *arg)
{
	struct racer *r = arg;
	struct race *race = r->race;

	pthread_barrier_wait(&race->start);
	while (time(NULL) < race->end && !r->bad_errno) {
		int c = race->containers[(r->idx + r->loops) % 2], ret, d;

		/* EINVAL: the group is in a container already */
		ret = __set_container(race->group, c);
		if (!errno_in(ret, EINVAL, EINVAL))
			racer_bad(r, "SET_CONTAINER", -ret);
		/* EINVAL: the group is not in @c, or @c has its IOMMU set */
		ret = __set_iommu(c, VFIO_TYPE1v2_IOMMU);
		if (!errno_in(ret, EINVAL, EINVAL))
			racer_bad(r, "SET_IOMMU", -ret);
		/* EINVAL: the group's container has no IOMMU (or no container) */
		d = __device_fd(race->group, race->dev->name);
		if (d >= 0)
			close(d);
		else if (d != -EINVAL)
			racer_bad(r, "GET_DEVICE_FD", -d);
		/* EINVAL: not in a container; EBUSY: another thread's device is open */
		ret = __unset_container(race->group);
		if (!errno_in(ret, EINVAL, EBUSY))
			racer_bad(r, "UNSET_CONTAINER", -ret);
		r->loops++;
	}
	return NULL;
}

/* MAP_DMA then UNMAP_DMA of this thread's page: EINVAL while the container has no IOMMU */
static void map_unmap_once(struct racer *r, int c)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)r->race->buf + r->idx * 4096,
		.iova = (1 << 20) + r->idx * 8192,
		.size = 4096,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = map.iova, .size = map.size,
	};
	int ret;

	ret = vc_ioctl(c, VFIO_IOMMU_MAP_DMA, &map);
	if (!errno_in(ret, EINVAL, EINVAL))
		racer_bad(r, "MAP_DMA", -ret);
	r->mapped += !ret;
	ret = vc_ioctl(c, VFIO_IOMMU_UNMAP_DMA, &unmap);
	if (!errno_in(ret, EINVAL, EINVAL))
		racer_bad(r, "UNMAP_DMA", -ret);
	/* what it unmapped is its own page or nothing (a newer backend, or none) */
	if (!ret && unmap.size && unmap.size != map.size)
		racer_bad(r, "UNMAP_DMA size", ERANGE);
}

/* Even threads map and unmap on containers[0]; odd ones join, set the IOMMU, leave */
static void *map_vs_unset_loop(void *arg)
{
	struct racer *r = arg;
	struct race *race = r->race;
	int c = race->containers[0], ret;

	pthread_barrier_wait(&race->start);
	while (time(NULL) < race->end && !r->bad_errno) {
		if (r->idx % 2 == 0) {
			map_unmap_once(r, c);
			r->loops++;
			continue;
		}
		ret = __set_container(race->group, c);
		if (!errno_in(ret, EINVAL, EINVAL))
			racer_bad(r, "SET_CONTAINER", -ret);
		ret = __set_iommu(c, VFIO_TYPE1v2_IOMMU);
		if (!errno_in(ret, EINVAL, EINVAL))
			racer_bad(r, "SET_IOMMU", -ret);
		ret = __unset_container(race->group);
		if (!errno_in(ret, EINVAL, EINVAL))
			racer_bad(r, "UNSET_CONTAINER", -ret);
		r->loops++;
	}
	return NULL;
}

/* run.sh runs the suite again on the stock core with VFIO_CORE_STACK=stock */
static bool on_stock(void)
{
	const char *s = getenv("VFIO_CORE_STACK");

	return s && !strcmp(s, "stock");
}

FIXTURE(threads) {
	struct vc_dev dev;
	struct vc_fds fds;
	struct race race;
	struct racer racers[NTHREADS];
};

FIXTURE_SETUP(threads)
{
	self->fds.container = self->fds.group = self->fds.device = -1;
	self->race.containers[0] = self->race.containers[1] = -1;
	if (vc_edu_vfio(&self->dev))
		SKIP(return, "no edu device bound to vfio-pci");
	self->race.dev = &self->dev;
	ASSERT_EQ(0, pthread_barrier_init(&self->race.start, NULL, NTHREADS));
}

FIXTURE_TEARDOWN(threads)
{
	if (self->race.buf)
		munmap(self->race.buf, NTHREADS * 4096);
	vc_close(&self->fds);
	vc_close_fd(&self->race.containers[0]);
	vc_close_fd(&self->race.containers[1]);
	pthread_barrier_destroy(&self->race.start);
}

static void run_racers(struct __test_metadata *_metadata, struct race *race,
		       struct racer *racers, void *(*fn)(void *))
{
	pthread_t tids[NTHREADS];
	long total = 0;
	int i;

	race->end = time(NULL) + RUN_SECONDS;
	for (i = 0; i < NTHREADS; i++) {
		racers[i] = (struct racer){ .race = race, .idx = i };
		ASSERT_EQ(0, pthread_create(&tids[i], NULL, fn, &racers[i]));
	}
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_join(tids[i], NULL));
	for (i = 0; i < NTHREADS; i++) {
		EXPECT_EQ(0, racers[i].bad_errno)
			TH_LOG("thread %d: %s: %s", i, racers[i].bad_op,
			       strerror(racers[i].bad_errno));
		total += racers[i].loops;
	}
	TH_LOG("%ld loops in %d threads", total, NTHREADS);
	ASSERT_LT(0, total);
}

/* Every open is the first and every close the last, or nearly */
TEST_F(threads, device_first_open_last_close)
{
	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, VFIO_TYPE1v2_IOMMU));
	vc_close_fd(&self->fds.device);
	self->race.group = self->fds.group;
	run_racers(_metadata, &self->race, self->racers, open_close_loop);
	/* no device fd left behind: the group may leave its container */
	unset_container(self->fds.group);
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(self->fds.group));
}

/* The device stays open: the threads' fds come and go beside the test's */
TEST_F(threads, device_open_close_used)
{
	uint32_t id = 0;

	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, vc_edu_read_id(self->fds.device, &id));
	self->race.group = self->fds.group;
	self->race.read_id = true;
	run_racers(_metadata, &self->race, self->racers, open_close_loop);
	unset_container_err(EBUSY, self->fds.group);
	vc_close_fd(&self->fds.device);
	unset_container(self->fds.group);
}

TEST_F(threads, set_unset_container)
{
	uint32_t id = 0;
	int i;

	self->fds.group = __group_open(self->dev.groupno);
	ASSERT_LE(0, self->fds.group);
	for (i = 0; i < 2; i++) {
		self->race.containers[i] = __container_open();
		ASSERT_LE(0, self->race.containers[i]);
	}
	self->race.group = self->fds.group;
	run_racers(_metadata, &self->race, self->racers, set_unset_loop);
	/* whatever state the race left: leave it, then a clean open must work */
	ASSERT_TRUE(errno_in(__unset_container(self->fds.group), EINVAL, EINVAL));
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(self->fds.group));
	vc_close(&self->fds);
	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, vc_edu_read_id(self->fds.device, &id));
	ASSERT_EQ(EDU_ID, id);
}

/*
 * The backend goes away with the last group while MAP_DMA and UNMAP_DMA are in it: the
 * core must wait for them (they take no lock), and nothing may stay pinned or charged.
 */
TEST_F(threads, map_unmap_vs_last_group_leaving)
{
	long locked_kb = vm_locked_kb(), mapped = 0;
	int i;

	if (on_stock())
		SKIP(return, "stock bug: the last group leaving frees the backend under ioctls");
	self->fds.group = __group_open(self->dev.groupno);
	ASSERT_LE(0, self->fds.group);
	self->race.containers[0] = __container_open();
	ASSERT_LE(0, self->race.containers[0]);
	self->race.buf = mmap(NULL, NTHREADS * 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->race.buf);
	for (i = 0; i < NTHREADS; i++)
		((char *)self->race.buf)[i * 4096] = 1;
	self->race.group = self->fds.group;
	run_racers(_metadata, &self->race, self->racers, map_vs_unset_loop);
	for (i = 0; i < NTHREADS; i++)
		mapped += self->racers[i].mapped;
	TH_LOG("%ld MAP_DMA calls found a backend", mapped);
	ASSERT_LT(0, mapped);
	ASSERT_TRUE(errno_in(__unset_container(self->fds.group), EINVAL, EINVAL));
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE, group_flags(self->fds.group));
	/* every backend was released: no page of the buffer is still pinned and charged */
	ASSERT_EQ(locked_kb, vm_locked_kb());
}

TEST_HARNESS_MAIN
