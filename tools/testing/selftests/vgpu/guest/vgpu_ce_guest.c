// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_ce_guest: runs in the (nested) guest as root and drives the vGPU's copy engine the
 * way a guest driver would: MMIO through the mapped BAR2 (trapped by the host), guest
 * physical addresses (pagemap) as DMA addresses. Copies a page of guest memory into VRAM
 * and back into another page, pins and unpins a page, and checks that a descriptor
 * outside guest RAM is refused. Prints TAP lines; exit 0 when all pass.
 *
 * Given a handshake directory (the runner's /run/vm), it then takes part in the host's
 * dirty tracking check (qemu_dirty_test.c, which has the protocol): it names its pages,
 * waits for the host to start tracking, has the engine write some of them, read one and
 * leave the rest alone, and waits for the host to read the bitmap.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../../../../samples/vgpu/vgpu_regs.h"

#define PAGE	4096
/* VBE_DISPI_INDEX_VIDEO_MEMORY_64K: the VRAM size in 64 KiB units */
#define DISPI_VIDEO_MEMORY_64K	0xa

static uint8_t *mmio;	/* BAR2, touched only through the accessors below */
static int n, failed;

static void tap(int ok, const char *name)
{
	printf("%sok %d %s\n", ok ? "" : "not ", ++n, name);
	failed |= !ok;
}

/*
 * MMIO accessors, as readl()/readw()/writel() in a driver: each is exactly one access of
 * its width, which the compiler may not merge, split, reorder with another or drop.
 */
static uint32_t rd(uint32_t off)
{
	return *(volatile uint32_t *)(mmio + off);
}

static uint16_t rd16(uint32_t off)
{
	return *(volatile uint16_t *)(mmio + off);
}

static void wr(uint32_t off, uint32_t val)
{
	*(volatile uint32_t *)(mmio + off) = val;
}

static int ce(uint32_t cmd, uint64_t gpa, uint32_t vram_off, uint32_t len, uint32_t ctrl)
{
	uint32_t status;

	wr(VGPU_CE_STATUS, ~0u);
	wr(VGPU_CE_IOVA_LO, (uint32_t)gpa);
	wr(VGPU_CE_IOVA_HI, (uint32_t)(gpa >> 32));
	wr(VGPU_CE_VRAM_OFF, vram_off);
	wr(VGPU_CE_LEN, len);
	wr(VGPU_CE_CMD, cmd);
	wr(VGPU_CE_CTRL, ctrl);
	wr(VGPU_CE_DOORBELL, 1);
	status = rd(VGPU_CE_STATUS);
	if (!(status & VGPU_CE_STATUS_DONE))
		return -1;
	return status & VGPU_CE_STATUS_ERROR ? (int)rd(VGPU_CE_ERROR) : 0;
}

static uint64_t gpa_of(void *va)
{
	uint64_t entry = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &entry, 8, (uintptr_t)va / PAGE * 8) != 8)
		return 0;
	close(fd);
	if (!(entry >> 63))
		return 0;
	return (entry & ((1ull << 55) - 1)) * PAGE + (uintptr_t)va % PAGE;
}

/* Wait up to @secs for the host's file @dir/@name; 0 once it is there */
static int wait_for_host(const char *dir, const char *name, int secs)
{
	char path[400];
	int i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (i = 0; i < secs * 10; i++) {
		if (!access(path, F_OK))
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
	return -1;
}

/* Write @dir/@name whole: a temporary file renamed into place, so the host never sees half */
static int tell_host(const char *dir, const char *name, const char *text)
{
	char tmp[400], path[400];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/.%s", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputs(text, f);
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

/*
 * Dirty pages seen from the host: of eight locked pages the engine writes 0, 3 and 5
 * through vfio_dma_rw() and 6 through vfio_pin_pages(), reads 1, and leaves 2, 4 and 7.
 */
#define DIRTY_PAGES	8
#define DIRTY_WRITTEN	0x69u	/* pages 0, 3, 5, 6 */

static void dirty_handshake(const char *dir, uint32_t vram)
{
	char list[DIRTY_PAGES * 32], *at = list;
	uint64_t gpa[DIRTY_PAGES];
	uint32_t ctrl;
	uint8_t *p;
	int i, ok = 1;

	p = mmap(NULL, DIRTY_PAGES * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mlock(p, DIRTY_PAGES * PAGE)) {
		tap(0, "lock the pages for the host's dirty check");
		return;
	}
	memset(p, 0x5a, DIRTY_PAGES * PAGE);
	for (i = 0; i < DIRTY_PAGES; i++) {
		gpa[i] = gpa_of(p + i * PAGE);
		ok &= gpa[i] != 0;
		at += sprintf(at, "%c %llx\n", DIRTY_WRITTEN >> i & 1 ? 'w' : 'c',
			      (unsigned long long)gpa[i]);
	}
	tap(ok && !tell_host(dir, "ce-pages", list), "named the pages to the host");
	if (wait_for_host(dir, "ce-go", 300)) {
		tap(0, "the host started dirty tracking");
		return;
	}
	for (i = 0; i < DIRTY_PAGES; i++) {
		ctrl = i == 6 ? VGPU_CE_CTRL_USE_PIN : 0;
		if (DIRTY_WRITTEN >> i & 1)
			ok &= ce(VGPU_CE_CMD_FROM_VRAM, gpa[i], 0, PAGE, ctrl) == 0;
		else if (i == 1)
			ok &= ce(VGPU_CE_CMD_TO_VRAM, gpa[i], vram - PAGE, PAGE, 0) == 0;
	}
	tap(ok, "copy engine wrote pages 0, 3, 5 and 6 and read page 1 while tracked");
	tap(!tell_host(dir, "ce-done", "") && !wait_for_host(dir, "ce-read", 60),
	    "the host read the dirty bitmap");
}

static int find_device(char *dir, size_t len)
{
	char path[512], id[32];
	struct dirent *d;
	DIR *dd = opendir("/sys/bus/pci/devices");
	FILE *f;

	while (dd && (d = readdir(dd))) {
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(id, sizeof(id), f) && strtoul(id, NULL, 0) == VGPU_VENDOR_ID) {
			fclose(f);
			snprintf(dir, len, "/sys/bus/pci/devices/%s", d->d_name);
			closedir(dd);
			return 0;
		}
		fclose(f);
	}
	if (dd)
		closedir(dd);
	return -1;
}

int main(int argc, char **argv)
{
	char dir[300], path[400];
	uint8_t *a, *b;
	uint16_t cmd;
	uint32_t vram;
	int fd, i;

	printf("TAP version 13\n");
	if (find_device(dir, sizeof(dir)))
		return printf("not ok 1 find the vGPU's PCI function\n"), 1;
	/* memory decoding and bus mastering on, as a driver's pci_enable_device + set_master */
	snprintf(path, sizeof(path), "%s/config", dir);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &cmd, 2, 4) != 2)
		return printf("not ok 1 open config space\n"), 1;
	cmd |= 0x6;
	if (pwrite(fd, &cmd, 2, 4) != 2)
		return printf("not ok 1 enable the function\n"), 1;
	close(fd);
	snprintf(path, sizeof(path), "%s/resource2", dir);
	fd = open(path, O_RDWR | O_SYNC);
	mmio = fd < 0 ? MAP_FAILED : mmap(NULL, VGPU_MMIO_SIZE, PROT_READ | PROT_WRITE,
					  MAP_SHARED, fd, 0);
	if (mmio == MAP_FAILED)
		return printf("not ok 1 map BAR2\n"), 1;
	vram = (uint32_t)rd16(VGPU_DISPI_BASE + DISPI_VIDEO_MEMORY_64K * 2) << 16;
	tap(vram >= (4u << 20), "dispi reports the VRAM size through the trapped BAR");

	a = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || mlock(a, 2 * PAGE))
		return printf("not ok 2 lock guest memory\n"), 1;
	b = a + PAGE;
	for (i = 0; i < PAGE; i++) {
		a[i] = (uint8_t)(i * 13 + 7);
		b[i] = 0;
	}
	tap(gpa_of(a) && gpa_of(b), "guest physical addresses of the buffers");
	tap(ce(VGPU_CE_CMD_TO_VRAM, gpa_of(a), vram - PAGE, PAGE, 0) == 0,
	    "copy engine: guest page -> VRAM");
	tap(ce(VGPU_CE_CMD_FROM_VRAM, gpa_of(b), vram - PAGE, PAGE, 0) == 0,
	    "copy engine: VRAM -> another guest page");
	tap(!memcmp(a, b, PAGE), "the page came back through VRAM intact");
	tap(ce(VGPU_CE_CMD_PIN, gpa_of(a), 0, PAGE, 0) == 0 && rd(VGPU_CE_PINNED) == 1,
	    "copy engine holds a pinned guest page");
	tap(ce(VGPU_CE_CMD_UNPIN, gpa_of(a), 0, PAGE, 0) == 0 && rd(VGPU_CE_PINNED) == 0,
	    "and releases it");
	tap(ce(VGPU_CE_CMD_TO_VRAM, 1ull << 50, 0, PAGE, 0) == VGPU_CE_ERR_IOVA,
	    "a descriptor outside guest RAM is refused");
	tap(ce(VGPU_CE_CMD_FROM_VRAM, gpa_of(b), vram - 16, PAGE, 0) == VGPU_CE_ERR_VRAM,
	    "a descriptor past VRAM is refused");
	if (argc > 1)
		dirty_handshake(argv[1], vram);
	printf("1..%d\n", n);
	return failed;
}
