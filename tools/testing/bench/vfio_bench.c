// SPDX-License-Identifier: GPL-2.0-only
/*
 * uAPI-level benchmarks of a VFIO + mdev stack, run by guest.sh in the test VM once per
 * stack and round. Each subcommand does one measurement and prints one line per metric,
 *   result <metric> <value> <unit> <hi|lo>
 * where hi/lo says whether a higher or a lower value is better. Notes go to lines starting
 * with "#". Exit status: 0, 1 on a failed call (with the call on stderr), 4 when the device
 * the benchmark needs is missing.
 *
 *   map4k N               N MAP_DMA of 4 KiB at distinct IOVAs, then N UNMAP_DMA (vGPU)
 *   dirty CHUNK_GIB COPIES PINS
 *                         dirty tracking START/GET_BITMAP/STOP over one CHUNK_GIB mapping,
 *                         then over COPIES mappings of the same buffer, with PINS pages
 *                         pinned by the vGPU copy engine
 *   pin thp|4k MIB        copy engine PIN and UNPIN of MIB of guest memory
 *   mmio N                N pread and N pwrite of a 32-bit vGPU MMIO register
 *   mdev LIVE CYCLES      CYCLES mbochs create+remove with LIVE-1 other mdevs present, one
 *                         result per block of 100 cycles
 *   phys thp|4k MIB       MAP_DMA + UNMAP_DMA of MIB through edu on vfio-pci
 *   qemu                  QEMU with a vGPU assigned, until the guest's first serial byte
 *
 * Containers are type1v2; the vGPU is a "quarter" instance of vgpu0 made for the run and
 * removed at exit. Memory that only an emulated container sees is never touched.
 */
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define ASSERT_EQ(a, b) do {						\
	long long __a = (a), __b = (b);					\
	if (__a != __b) {						\
		fprintf(stderr, "%s:%d: %s: %lld != %lld\n", __FILE__,	\
			__LINE__, #b, __a, __b);			\
		exit(1);						\
	}								\
} while (0)

#include "../selftests/vfio/type1_util.h"
#include "../../../samples/vgpu/vgpu_regs.h"

#define SZ_1M		0x100000ULL
#define IOVA_BASE	(1ULL << 40)
#define CE_PAGES	(VGPU_CE_MAX_LEN / SZ_4K)
#define MDEV_TYPES	"/sys/class/mdev_bus/*/mdev_supported_types/*"

static struct t1_env vgpu = { .container = -1, .group = -1, .device = -1 };
static uint64_t mmio_off;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void report(const char *metric, double val, const char *unit, const char *better)
{
	printf("result %s %.6g %s %s\n", metric, val, unit, better);
	fflush(stdout);
}

static void skip(const char *why)
{
	printf("# skipped: %s\n", why);
	exit(4);
}

static void vgpu_close(void)
{
	t1_close(&vgpu);
}

/* A quarter vGPU in its own type1v2 container, and where its MMIO BAR is in the fd */
static void vgpu_open(void)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info), .index = VFIO_PCI_BAR2_REGION_INDEX,
	};
	int ret = t1_open_mdev(&vgpu, "vgpu0/mdev_supported_types/vgpu-quarter",
			       VFIO_TYPE1v2_IOMMU);

	if (ret == -ENOENT)
		skip("no vgpu0 (vgpu.ko not loaded)");
	ASSERT_EQ(0, ret);
	atexit(vgpu_close);
	ASSERT_EQ(0, ioctl(vgpu.device, VFIO_DEVICE_GET_REGION_INFO, &info));
	mmio_off = info.offset;
}

static void mmio_wr(uint32_t reg, uint32_t val)
{
	ASSERT_EQ(4, pwrite(vgpu.device, &val, 4, mmio_off + reg));
}

static uint32_t mmio_rd(uint32_t reg)
{
	uint32_t val;

	ASSERT_EQ(4, pread(vgpu.device, &val, 4, mmio_off + reg));
	return val;
}

/* Run one copy engine command on [iova, iova + len) and insist that it succeeded */
static void ce_run(uint32_t cmd, uint64_t iova, uint32_t len)
{
	mmio_wr(VGPU_CE_STATUS, ~0u);
	mmio_wr(VGPU_CE_IOVA_LO, (uint32_t)iova);
	mmio_wr(VGPU_CE_IOVA_HI, (uint32_t)(iova >> 32));
	mmio_wr(VGPU_CE_LEN, len);
	mmio_wr(VGPU_CE_CMD, cmd);
	mmio_wr(VGPU_CE_CTRL, 0);
	mmio_wr(VGPU_CE_DOORBELL, 1);
	ASSERT_EQ(VGPU_CE_STATUS_DONE, mmio_rd(VGPU_CE_STATUS));
}

/* PIN or UNPIN @pages pages from @iova, in commands of at most VGPU_CE_MAX_LEN */
static void ce_range(uint32_t cmd, uint64_t iova, uint64_t pages)
{
	uint64_t n;

	for (; pages; pages -= n, iova += n * SZ_4K) {
		n = pages < CE_PAGES ? pages : CE_PAGES;
		ce_run(cmd, iova, n * SZ_4K);
	}
}

/* @size bytes of anonymous memory on a 2 MiB boundary, THP or not, faulted in */
static char *guest_memory(uint64_t size, bool thp)
{
	char *raw = t1_mmap(size + SZ_2M), *buf;

	ASSERT_EQ(0, !raw);
	buf = (char *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	ASSERT_EQ(0, madvise(buf, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE));
	memset(buf, 1, size);
	return buf;
}

static void bench_map4k(int n)
{
	void *buf = t1_mmap(SZ_4K);
	double t0, t1, t2;
	int i;

	vgpu_open();
	/* every other 4 KiB, so that no implementation can merge neighbours */
	t0 = now();
	for (i = 0; i < n; i++)
		dma_map(vgpu.container, IOVA_BASE + 2 * i * SZ_4K, buf, SZ_4K);
	t1 = now();
	for (i = 0; i < n; i++)
		dma_unmap(vgpu.container, IOVA_BASE + 2 * i * SZ_4K, SZ_4K);
	t2 = now();
	report("map4k.map", n / (t1 - t0), "ops/s", "hi");
	report("map4k.unmap", n / (t2 - t1), "ops/s", "hi");
	report("map4k.map+unmap", n / (t2 - t0), "pairs/s", "hi");
}

/* START, @gets GET_BITMAPs of [IOVA_BASE, +size), STOP; @rounds times; means in ms */
static void dirty_measure(const char *name, uint64_t size, uint64_t pins, int rounds, int gets)
{
	uint64_t bytes = t1_bitmap_bytes(size), *bm = malloc(bytes);
	double t, tstart = 0, tget = 0, tstop = 0;
	char metric[96];
	int r, g;

	ASSERT_EQ(0, !bm);
	memset(bm, 0, bytes);
	for (r = 0; r < rounds; r++) {
		t = now();
		dirty_start(vgpu.container);
		tstart += now() - t;
		t = now();
		for (g = 0; g < gets; g++)
			dirty_get(vgpu.container, IOVA_BASE, size, bm, bytes);
		tget += now() - t;
		t = now();
		dirty_stop(vgpu.container);
		tstop += now() - t;
	}
	/* pinned pages stay dirty while pinned: what the last GET reported */
	ASSERT_EQ(pins, t1_popcount(bm, bytes));
	snprintf(metric, sizeof(metric), "dirty.%s.start", name);
	report(metric, tstart / rounds * 1e3, "ms", "lo");
	snprintf(metric, sizeof(metric), "dirty.%s.get", name);
	report(metric, tget / rounds / gets * 1e3, "ms", "lo");
	snprintf(metric, sizeof(metric), "dirty.%s.stop", name);
	report(metric, tstop / rounds * 1e3, "ms", "lo");
	free(bm);
}

static void size_name(char *out, size_t len, uint64_t size, uint64_t pins)
{
	if (size >= 1024 * SZ_1G)
		snprintf(out, len, "%llut", (unsigned long long)(size / (1024 * SZ_1G)));
	else
		snprintf(out, len, "%llug", (unsigned long long)(size / SZ_1G));
	snprintf(out + strlen(out), len - strlen(out), "-pin%llu", (unsigned long long)pins);
}

static void bench_dirty(uint64_t chunk_gib, int copies, uint64_t pins)
{
	uint64_t chunk = chunk_gib * SZ_1G;
	void *buf = t1_mmap(chunk);
	char name[64];
	double t;
	int i;

	ASSERT_EQ(0, !buf);
	ASSERT_EQ(0, pins > chunk / SZ_4K);
	vgpu_open();
	dma_map(vgpu.container, IOVA_BASE, buf, chunk);
	if (pins) {
		t = now();
		ce_range(VGPU_CE_CMD_PIN, IOVA_BASE, pins);
		t = now() - t;
		ASSERT_EQ(pins, mmio_rd(VGPU_CE_PINNED));
		printf("# pinned %llu pages in %.3f s\n", (unsigned long long)pins, t);
	}
	size_name(name, sizeof(name), chunk, pins);
	dirty_measure(name, chunk, pins, 10, 5);
	if (copies < 2)
		return;
	/* the same buffer again at the following IOVAs: type1 lets a vaddr be mapped twice */
	for (i = 1; i < copies; i++)
		dma_map(vgpu.container, IOVA_BASE + i * chunk, buf, chunk);
	size_name(name, sizeof(name), chunk * copies, pins);
	dirty_measure(name, chunk * copies, pins, 4, 3);
}

static void bench_pin(bool thp, uint64_t mib)
{
	uint64_t size = mib * SZ_1M, pages = size / SZ_4K;
	char *buf = guest_memory(size, thp);
	double t, tpin = 0, tunpin = 0;
	const char *kind = thp ? "thp" : "4k";
	char metric[64];
	int i, iters = 3;

	vgpu_open();
	printf("# AnonHugePages %ld kB\n", proc_kb("/proc/meminfo", "AnonHugePages"));
	dma_map(vgpu.container, IOVA_BASE, buf, size);
	for (i = 0; i < iters; i++) {
		t = now();
		ce_range(VGPU_CE_CMD_PIN, IOVA_BASE, pages);
		tpin += now() - t;
		ASSERT_EQ(pages, mmio_rd(VGPU_CE_PINNED));
		t = now();
		ce_range(VGPU_CE_CMD_UNPIN, IOVA_BASE, pages);
		tunpin += now() - t;
		ASSERT_EQ(0, mmio_rd(VGPU_CE_PINNED));
	}
	snprintf(metric, sizeof(metric), "pin.%s", kind);
	report(metric, pages * iters / tpin, "pages/s", "hi");
	snprintf(metric, sizeof(metric), "unpin.%s", kind);
	report(metric, pages * iters / tunpin, "pages/s", "hi");
}

static void bench_mmio(int n)
{
	double t;
	int i;

	vgpu_open();
	t = now();
	for (i = 0; i < n; i++)
		mmio_wr(VGPU_CE_VRAM_OFF, i * 4);
	report("mmio.pwrite", n / (now() - t), "ops/s", "hi");
	t = now();
	for (i = 0; i < n; i++)
		mmio_rd(VGPU_CE_VRAM_OFF);
	report("mmio.pread", n / (now() - t), "ops/s", "hi");
	ASSERT_EQ((n - 1) * 4, mmio_rd(VGPU_CE_VRAM_OFF));
}

/* The mdev type that can hold the most instances: mbochs' small one (4 MiB each) */
static void mbochs_type(char *out, size_t len)
{
	glob_t g;
	size_t i;

	if (glob(MDEV_TYPES, 0, NULL, &g))
		skip("no mdev types");
	out[0] = 0;
	for (i = 0; i < g.gl_pathc && !out[0]; i++)
		if (strstr(g.gl_pathv[i], "mbochs") && strstr(g.gl_pathv[i], "small"))
			snprintf(out, len, "%s", g.gl_pathv[i]);
	globfree(&g);
	if (!out[0])
		skip("no mbochs small type (mbochs.ko not loaded)");
}

static void mdev_uuid(char *out, unsigned int tag, unsigned int i)
{
	sprintf(out, "%08x-0000-4000-8000-%012x", tag, i);
}

static void mdev_create(const char *type, unsigned int tag, unsigned int i)
{
	char path[PATH_MAX + 16], uuid[40];

	snprintf(path, sizeof(path), "%s/create", type);
	mdev_uuid(uuid, tag, i);
	ASSERT_EQ(0, sysfs_attr_write(path, uuid));
}

static void mdev_remove(unsigned int tag, unsigned int i)
{
	char path[PATH_MAX], uuid[40];

	mdev_uuid(uuid, tag, i);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuid);
	ASSERT_EQ(0, sysfs_attr_write(path, "1"));
}

/* create+remove cycles timed as one sample: a quarter second, shorter than most slow spells */
#define MDEV_BLOCK	100

static void bench_mdev(unsigned int live, unsigned int cycles)
{
	char type[PATH_MAX], path[PATH_MAX + 32], val[32], metric[64];
	unsigned int i, j, block;
	double t;

	mbochs_type(type, sizeof(type));
	snprintf(path, sizeof(path), "%s/available_instances", type);
	ASSERT_EQ(0, sysfs_attr_read(path, val, sizeof(val)));
	if ((unsigned int)atoi(val) < live)
		skip("mbochs holds too few instances (load it with count=4200)");
	t = now();
	for (i = 1; i < live; i++)
		mdev_create(type, 0xbe0c, i);
	printf("# %u background mdevs created in %.3f s\n", live - 1, now() - t);
	snprintf(metric, sizeof(metric), "mdev.live%u", live);
	for (i = 0; i < cycles; i += block) {
		block = cycles - i < MDEV_BLOCK ? cycles - i : MDEV_BLOCK;
		t = now();
		for (j = i; j < i + block; j++) {
			mdev_create(type, 0xbe0d, j);
			mdev_remove(0xbe0d, j);
		}
		report(metric, block / (now() - t), "create+remove/s", "hi");
	}
	for (i = 1; i < live; i++)
		mdev_remove(0xbe0c, i);
}

/* edu bound to vfio-pci, as the phys suite finds it */
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
		if (sysfs_attr_read(path, val, sizeof(val)) || strcmp(val, "0x11e8"))
			continue;
		ret = t1_open(env, sysfs_dev_iommu_group(g.gl_pathv[i]), VFIO_TYPE1v2_IOMMU,
			      basename(g.gl_pathv[i]));
	}
	globfree(&g);
	return ret;
}

static void bench_phys(bool thp, uint64_t mib)
{
	uint64_t size = mib * SZ_1M;
	double tmap = 0, tunmap = 0, t;
	const char *kind = thp ? "thp" : "4k";
	struct t1_env env;
	char metric[64];
	char *buf;
	int i, iters = 3;

	if (open_edu(&env))
		skip("no edu on vfio-pci");
	buf = guest_memory(size, thp);
	printf("# AnonHugePages %ld kB\n", proc_kb("/proc/meminfo", "AnonHugePages"));
	for (i = 0; i < iters; i++) {
		t = now();
		dma_map(env.container, 0, buf, size);
		tmap += now() - t;
		t = now();
		dma_unmap(env.container, 0, size);
		tunmap += now() - t;
	}
	snprintf(metric, sizeof(metric), "phys.%s.map", kind);
	report(metric, tmap / iters * 1e3, "ms", "lo");
	snprintf(metric, sizeof(metric), "phys.%s.unmap", kind);
	report(metric, tunmap / iters * 1e3, "ms", "lo");
	t1_close(&env);
}

/*
 * A 64 KiB BIOS whose reset vector writes '!' to COM1 and then leaves QEMU through
 * isa-debug-exit at 0xf4: the guest's first instructions, and nothing else.
 */
static void write_bios(const char *path)
{
	static const unsigned char reset[] = {
		0xba, 0xf8, 0x03,	/* mov dx, 0x3f8 */
		0xb0, '!',		/* mov al, '!' */
		0xee,			/* out dx, al */
		0xb0, 0x00,		/* mov al, 0 */
		0xe6, 0xf4,		/* out 0xf4, al */
		0xf4,			/* hlt */
	};
	static unsigned char rom[0x10000];
	FILE *f = fopen(path, "w");

	ASSERT_EQ(0, !f);
	memset(rom, 0xf4, sizeof(rom));
	memcpy(rom + 0xfff0, reset, sizeof(reset));
	ASSERT_EQ(1, fwrite(rom, sizeof(rom), 1, f));
	ASSERT_EQ(0, fclose(f));
}

/* A nested guest that shows nothing in this long is taken as hung (TCG, rarely) */
#define QEMU_FIRST_BYTE_MS	60000

/*
 * Start QEMU with the vGPU; on its first serial byte set *@tbyte and, once it has exited,
 * *@tend (from @t0). Return: 0, or -ETIMEDOUT when no byte came in time (QEMU is killed).
 */
static int qemu_once(const char *accel, const char *bios, const char *device, double *tbyte,
		     double *tend)
{
	struct pollfd pfd = { .events = POLLIN };
	int out[2], status;
	double t0;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(out));
	t0 = now();
	pid = fork();
	ASSERT_EQ(0, pid < 0);
	if (!pid) {
		dup2(out[1], 1);
		close(out[0]);
		execlp("qemu-system-x86_64", "qemu-system-x86_64", "-accel", accel,
		       "-machine", "pc", "-m", "128M", "-nodefaults", "-no-user-config",
		       "-display", "none", "-monitor", "none", "-serial", "stdio",
		       "-bios", bios, "-device", "isa-debug-exit,iobase=0xf4,iosize=1",
		       "-device", device, NULL);
		_exit(127);
	}
	close(out[1]);
	pfd.fd = out[0];
	if (poll(&pfd, 1, QEMU_FIRST_BYTE_MS) != 1) {
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		close(out[0]);
		return -ETIMEDOUT;
	}
	ASSERT_EQ(1, read(out[0], &c, 1));
	*tbyte = now() - t0;
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	*tend = now() - t0;
	close(out[0]);
	/* isa-debug-exit: status (0 << 1) | 1 */
	ASSERT_EQ(1, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ASSERT_EQ('!', c);
	return 0;
}

static void bench_qemu(void)
{
	const char *bios = "/tmp/vfio_bench_bios.bin", *accel;
	char device[PATH_MAX + 32];
	double tbyte, tend;
	int ret;

	accel = access("/dev/kvm", W_OK) ? "tcg" : "kvm";
	write_bios(bios);
	vgpu_open();
	/* QEMU opens the group itself: hand the instance over */
	snprintf(device, sizeof(device), "vfio-pci,sysfsdev=%s", vgpu.mdev_path);
	close(vgpu.device);
	close(vgpu.group);
	close(vgpu.container);
	vgpu.device = vgpu.group = vgpu.container = -1;
	ret = qemu_once(accel, bios, device, &tbyte, &tend);
	if (ret == -ETIMEDOUT) {
		printf("# qemu: no serial byte within %d s: the guest hung; starting it once more\n",
		       QEMU_FIRST_BYTE_MS / 1000);
		ret = qemu_once(accel, bios, device, &tbyte, &tend);
	}
	if (ret) {
		printf("# qemu: no serial byte within %d s again: the guest hung\n",
		       QEMU_FIRST_BYTE_MS / 1000);
		exit(1);
	}
	printf("# qemu -accel %s\n", accel);
	report("qemu.first-byte", tbyte * 1e3, "ms", "lo");
	report("qemu.until-exit", tend * 1e3, "ms", "lo");
}

static unsigned long arg(char **argv, int i)
{
	return strtoul(argv[i], NULL, 0);
}

int main(int argc, char **argv)
{
	const char *b = argc > 1 ? argv[1] : "";

	if (!strcmp(b, "map4k") && argc == 3)
		bench_map4k(arg(argv, 2));
	else if (!strcmp(b, "dirty") && argc == 5)
		bench_dirty(arg(argv, 2), arg(argv, 3), arg(argv, 4));
	else if (!strcmp(b, "pin") && argc == 4)
		bench_pin(!strcmp(argv[2], "thp"), arg(argv, 3));
	else if (!strcmp(b, "mmio") && argc == 3)
		bench_mmio(arg(argv, 2));
	else if (!strcmp(b, "mdev") && argc == 4)
		bench_mdev(arg(argv, 2), arg(argv, 3));
	else if (!strcmp(b, "phys") && argc == 4)
		bench_phys(!strcmp(argv[2], "thp"), arg(argv, 3));
	else if (!strcmp(b, "qemu") && argc == 2)
		bench_qemu();
	else {
		fprintf(stderr, "usage: %s map4k N | dirty CHUNK_GIB COPIES PINS | pin thp|4k MIB |\n"
			"       mmio N | mdev LIVE CYCLES | phys thp|4k MIB | qemu\n", argv[0]);
		return 2;
	}
	return 0;
}
