// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmarks of the type1 backend, run by run.sh against ours and against the stock
 * vfio_iommu_type1 in the same boot:
 *   map4k        20,000 MAP_DMA + UNMAP_DMA of 4 KiB in an emulated (mtty) container
 *   bitmap32g    GET_BITMAP over a 32 GiB mapping of an emulated container
 *   phys1g-thp   MAP_DMA + UNMAP_DMA of 1 GiB of THP-backed memory with edu (vfio-pci)
 *   phys1g-4k    the same with 4 KiB pages (MADV_NOHUGEPAGE)
 * Prints one line "# bench <name> <value> <unit>" and exits 0, or 4 (skip) without the device.
 */
#include <time.h>

#include "type1_util.h"

#define ASSERT_EQ(a, b) do {						\
	long long __a = (a), __b = (b);					\
	if (__a != __b) {						\
		fprintf(stderr, "%s:%d: %lld != %lld\n", __FILE__, __LINE__, __a, __b); \
		exit(1);						\
	}								\
} while (0)

#define IOVA_BASE	(1ULL << 40)

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void open_mdev(struct t1_env *env)
{
	int ret = t1_open_mdev(env, "mtty", VFIO_TYPE1v2_IOMMU);

	if (ret) {
		printf("# bench skipped: no mtty mdev (%s)\n", strerror(-ret));
		exit(4);
	}
}

static void bench_map4k(void)
{
	struct t1_env env;
	void *buf = t1_mmap(SZ_4K);
	double t;
	int i;

	open_mdev(&env);
	t = now();
	for (i = 0; i < 20000; i++) {
		dma_map(env.container, IOVA_BASE + (i % 64) * SZ_4K, buf, SZ_4K);
		dma_unmap(env.container, IOVA_BASE + (i % 64) * SZ_4K, SZ_4K);
	}
	t = now() - t;
	printf("# bench map4k %.0f map+unmap/s\n", 20000 / t);
	t1_close(&env);
}

static void bench_bitmap32g(void)
{
	uint64_t size = 32 * SZ_1G, bytes = t1_bitmap_bytes(size);
	uint64_t *bm = malloc(bytes);
	void *buf = t1_mmap(size);
	struct t1_env env;
	double t;
	int i;

	open_mdev(&env);
	dma_map(env.container, IOVA_BASE, buf, size);
	dirty_start(env.container);
	memset(bm, 0, bytes);
	dirty_get(env.container, IOVA_BASE, size, bm, bytes);
	t = now();
	for (i = 0; i < 20; i++)
		dirty_get(env.container, IOVA_BASE, size, bm, bytes);
	t = now() - t;
	printf("# bench bitmap32g %.3f ms/GET_BITMAP\n", t / 20 * 1000);
	t1_close(&env);
}

/* edu bound to vfio-pci, as the phys suite finds it. */
static int open_edu(struct t1_env *env)
{
	char path[PATH_MAX + 32], val[64];
	glob_t g;
	size_t i;
	int ret = -ENODEV;

	env->uuid[0] = 0;
	if (glob("/sys/bus/pci/drivers/vfio-pci/0000:*", 0, NULL, &g))
		return ret;
	for (i = 0; i < g.gl_pathc && ret; i++) {
		snprintf(path, sizeof(path), "%s/device", g.gl_pathv[i]);
		if (t1_sysfs_read(path, val, sizeof(val)) || strcmp(val, "0x11e8"))
			continue;
		ret = t1_open(env, t1_dev_group(g.gl_pathv[i]), VFIO_TYPE1v2_IOMMU,
			      basename(g.gl_pathv[i]));
	}
	globfree(&g);
	return ret;
}

static void bench_phys1g(bool thp)
{
	uint64_t size = SZ_1G;
	char *raw = t1_mmap(size + SZ_2M), *buf;
	double tmap = 0, tunmap = 0, t;
	struct t1_env env;
	int i;

	if (open_edu(&env)) {
		printf("# bench skipped: no edu on vfio-pci\n");
		exit(4);
	}
	buf = (char *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(buf, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	memset(buf, 1, size);
	for (i = 0; i < 3; i++) {
		t = now();
		dma_map(env.container, 0, buf, size);
		tmap += now() - t;
		t = now();
		dma_unmap(env.container, 0, size);
		tunmap += now() - t;
	}
	printf("# bench phys1g-%s %.1f ms/(map+unmap) map %.1f ms unmap %.1f ms\n",
	       thp ? "thp" : "4k", (tmap + tunmap) / 3 * 1000, tmap / 3 * 1000,
	       tunmap / 3 * 1000);
	t1_close(&env);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s map4k|bitmap32g|phys1g-thp|phys1g-4k\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "map4k"))
		bench_map4k();
	else if (!strcmp(argv[1], "bitmap32g"))
		bench_bitmap32g();
	else if (!strcmp(argv[1], "phys1g-thp"))
		bench_phys1g(true);
	else if (!strcmp(argv[1], "phys1g-4k"))
		bench_phys1g(false);
	else
		return 2;
	return 0;
}
