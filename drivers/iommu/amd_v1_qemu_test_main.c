// SPDX-License-Identifier: GPL-2.0-only
/*
 * DMA test of the AMD IOMMU v1 page table against a walker no one here
 * wrote: QEMU's amd-iommu translating DMA from QEMU's edu device.
 *
 * Loading amd_v1_qemu_test.ko, in a guest booted with amd_iommu=off and edu
 * placed after -device amd-iommu on QEMU's command line (so edu sits behind
 * it), points edu's device table entry at a table built by amd_v1_pgtable.c,
 * maps pages of every kind of size, makes edu copy through each mapping both
 * ways and compares, then checks that unmapped IOVAs move no data and fault.
 * It prints one "ok N name" / "not ok N name" line per test and fails the
 * load if any failed. Everything is undone before init returns: bus
 * mastering off, translation off, tables and pages freed; exit has nothing
 * left to do.
 *
 * edu (QEMU hw/misc/edu.c) copies between its 4 KiB buffer, at device
 * address 0x40000, and a DMA address, 100 ms after the command is written;
 * it stops QEMU if a transfer leaves the buffer (some versions count a
 * transfer ending at the buffer's end as leaving it), so every transfer here
 * is QT_XFER bytes at the buffer's start. It masks DMA addresses with its
 * dma_mask property (28 bits by default): the suite's vm.conf lifts it, the
 * 1 GiB and 2 GiB pages need IOVAs above 256 MiB.
 *
 * Memory encryption: QEMU emulates no SME and would read a mask bit as an
 * address bit, so the table runs with the kernel's mask (zero in the guest);
 * the test mask is exercised by amd_v1_pgtable_test.ko instead.
 * Locking: none; everything runs in module init.
 */
#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "amd_v1_pgtable.h"
#include "amd_v1_qemu_iommu.h"

/* QEMU hw/misc/edu.c: IDs, registers, command bits and the DMA buffer */
#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_REG_ID		0x00
#define EDU_ID_MAGIC		GENMASK(7, 0)
#define EDU_ID_MAGIC_VAL	0xed
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_CNT		0x90
#define EDU_REG_DMA_CMD		0x98
#define EDU_CMD_RUN		BIT_ULL(0)
#define EDU_CMD_TO_RAM		BIT_ULL(1)
#define EDU_BUF			0x40000
#define EDU_TIMEOUT_MS		2000
#define EDU_POLL_MS		5

/* Bytes per edu transfer: half its buffer, well inside its range check */
#define QT_XFER			SZ_2K

/* Fixed mappings: edu loads patterns from src and hands what it read to sink */
#define QT_SRC_IOVA		0x1000
#define QT_SINK_IOVA		0x2000
/* Never mapped: a leaf slot of the level-1 table, and a level-3 slot */
#define QT_HOLE_IOVA		0x3000
#define QT_HOLE_TOP_IOVA	SZ_4G
#define QT_SINK_FILL		0x5a
#define QT_PROT			(IOMMU_READ | IOMMU_WRITE)

/* Pattern seeds: the marker edu holds before a read that must fail, ... */
#define QT_SEED_MARKER		0xa11ce5edU
#define QT_SEED_STRAY		0xdeadbeefU
#define QT_SEED_ALIAS		0x0a11a500U
#define QT_SEED_BACKGROUND	0xb0000000U
#define QT_SEED_WRITE		0xc0000000U
#define QT_SEED_PROBE		0xd0000000U

/*
 * How a case backs its mapping: a block the size of the page; two 4 KiB
 * pages mapped in reverse order (a copy across them needs both PTEs); or a
 * small block inside a large page whose other bytes are not ours (1 GiB and
 * up: the mapping covers the aligned window around the block).
 */
enum qt_kind { QT_BLOCK, QT_SWAPPED, QT_WINDOW };

#define QT_SWAPPED_ORDER	1
#define QT_WINDOW_ORDER		2

struct qt_case {
	const char *name;
	unsigned int shift;
	unsigned long iova;
	enum qt_kind kind;
};

/*
 * Levels: the table starts with one level; the 2 MiB case grows it to two,
 * the 1 GiB case to three. Sizes that are not a level's span use Next
 * Level 7 (8 KiB, 64 KiB and 4 MiB, 2 GiB).
 */
static const struct qt_case qt_cases[] = {
	{ "dma_4k_two_pages", 12, 0x10000, QT_SWAPPED },
	{ "dma_8k_next_level_7", 13, 0x20000, QT_BLOCK },
	{ "dma_64k_next_level_7", 16, 0x40000, QT_BLOCK },
	{ "dma_2m", 21, SZ_8M, QT_BLOCK },
	{ "dma_4m_next_level_7", 22, SZ_16M, QT_BLOCK },
	{ "dma_1g", 30, SZ_1G, QT_WINDOW },
	{ "dma_2g_next_level_7", 31, SZ_2G, QT_WINDOW },
};

#define QT_LEVELS_START		1
#define QT_LEVELS_END		3
#define QT_GROWTHS		2
#define QT_PROBE_LEVELS		3

/* The bytes we own behind a case's mapping, and what they must hold */
struct qt_backing {
	struct page *block;
	unsigned int order;
	u8 *virt;
	u8 *shadow;
	size_t len;
	/* offset inside the mapping of virt[0] */
	unsigned long lo;
	bool swapped;
};

struct qtest {
	struct amdv1_qiommu iommu;
	bool iommu_on;
	struct pci_dev *edu;
	void __iomem *regs;
	u16 devid;
	struct io_pgtable_ops *ops;
	struct amdv1_pgtable_cfg cfg;
	long live_tables;
	unsigned int root_calls;
	int root_err;
	u8 *src;
	u8 *sink;
	u8 *alias;
	struct qt_backing bk[ARRAY_SIZE(qt_cases)];
	unsigned int reads_zero;
	unsigned int reads_kept;
	bool failed;
	unsigned int num;
	unsigned int failures;
};

static void qt_fail(struct qtest *t, int line, const char *what, u64 a, u64 b)
{
	t->failed = true;
	pr_err("amdv1_qemu: line %d: %s (0x%llx vs 0x%llx)\n", line, what, a, b);
}

/* One result line; @skip: the reason a test could not run, or NULL */
static void qt_report(struct qtest *t, const char *name, const char *skip)
{
	t->num++;
	if (t->failed)
		t->failures++;
	pr_info("amdv1_qemu: %sok %u %s%s%s\n", t->failed ? "not " : "", t->num,
		name, skip ? " # SKIP " : "", skip ? skip : "");
	t->failed = false;
}

static void qt_fill(u8 *buf, size_t len, u32 seed)
{
	u32 *word = (u32 *)buf;
	size_t i;

	for (i = 0; i < len / sizeof(*word); i++)
		word[i] = seed ^ (u32)(i * 0x9e3779b1U);
}

/* edu copies QT_XFER bytes between its buffer and @addr, and is idle again */
static int qt_edu_copy(struct qtest *t, u64 addr, bool to_ram)
{
	unsigned int ms;

	writeq(to_ram ? EDU_BUF : addr, t->regs + EDU_REG_DMA_SRC);
	writeq(to_ram ? addr : EDU_BUF, t->regs + EDU_REG_DMA_DST);
	writeq(QT_XFER, t->regs + EDU_REG_DMA_CNT);
	writeq(EDU_CMD_RUN | (to_ram ? EDU_CMD_TO_RAM : 0),
	       t->regs + EDU_REG_DMA_CMD);
	for (ms = 0; ms < EDU_TIMEOUT_MS; ms += EDU_POLL_MS) {
		if (!(readq(t->regs + EDU_REG_DMA_CMD) & EDU_CMD_RUN))
			return 0;
		msleep(EDU_POLL_MS);
	}
	return -ETIMEDOUT;
}

/* edu reads at @iova, then writes what it holds to the sink page */
static int qt_read_through(struct qtest *t, unsigned long iova)
{
	int ret;

	memset(t->sink, QT_SINK_FILL, QT_XFER);
	ret = qt_edu_copy(t, iova, false);
	if (ret)
		return ret;
	return qt_edu_copy(t, QT_SINK_IOVA, true);
}

/* edu loads the source page, filled from @seed, and writes it at @iova */
static int qt_write_through(struct qtest *t, unsigned long iova, u32 seed)
{
	int ret;

	qt_fill(t->src, QT_XFER, seed);
	ret = qt_edu_copy(t, QT_SRC_IOVA, false);
	if (ret)
		return ret;
	return qt_edu_copy(t, iova, true);
}

static int qt_map(struct qtest *t, unsigned long iova, u64 pa, size_t size)
{
	size_t mapped = 0;
	int ret;

	ret = t->ops->map_pages(t->ops, iova, pa, size, 1, QT_PROT, GFP_KERNEL,
				&mapped);
	if (!ret && mapped != size)
		ret = -EIO;
	return ret;
}

/* Unmap, flush the IOMMU, then free the tables the unmap emptied */
static int qt_unmap(struct qtest *t, unsigned long iova, size_t size)
{
	struct iommu_iotlb_gather gather;
	size_t done;
	int ret;

	iommu_iotlb_gather_init(&gather);
	done = t->ops->unmap_pages(t->ops, iova, size, 1, &gather);
	ret = amdv1_qiommu_flush(&t->iommu);
	amdv1_pgtable_gather_release(&gather);
	if (!ret && done != size)
		ret = -EIO;
	return ret;
}

/* The table grew: edu's entry follows it before the mapping is used */
static void qt_set_root(void *cookie, u64 root, unsigned int levels)
{
	struct qtest *t = cookie;
	int ret;

	t->root_calls++;
	ret = amdv1_qiommu_set_dte(&t->iommu, t->devid, root, levels, true,
				   true);
	if (ret)
		t->root_err = ret;
}

/* The byte behind offset @off of a case's mapping */
static u8 *qt_byte(struct qt_backing *b, unsigned long off)
{
	off -= b->lo;
	if (b->swapped)
		off ^= SZ_4K;
	return b->virt + off;
}

static u8 *qt_shadow_byte(struct qt_backing *b, unsigned long off)
{
	return b->shadow + (qt_byte(b, off) - b->virt);
}

/* The backing holds what the shadow says: nothing stray was written */
static void qt_check_backing(struct qtest *t, struct qt_backing *b, int line)
{
	size_t i;

	if (!b->virt || !memcmp(b->virt, b->shadow, b->len))
		return;
	for (i = 0; b->virt[i] == b->shadow[i]; i++)
		;
	qt_fail(t, line, "backing byte changed, at offset", i, b->len);
}

/* What edu reads at offset @off of the mapping is the backing's bytes */
static void qt_check_read(struct qtest *t, const struct qt_case *c,
			  struct qt_backing *b, unsigned long off)
{
	unsigned int i;
	int ret;

	ret = qt_read_through(t, c->iova + off);
	if (ret) {
		qt_fail(t, __LINE__, "edu copy", ret, off);
		return;
	}
	for (i = 0; i < QT_XFER; i++) {
		if (t->sink[i] != *qt_byte(b, off + i)) {
			qt_fail(t, __LINE__, "edu read wrong data at offset",
				off + i, t->sink[i]);
			return;
		}
	}
}

/* What edu writes at offset @off lands in the backing, and only there */
static void qt_check_write(struct qtest *t, const struct qt_case *c,
			   struct qt_backing *b, unsigned long off, u32 seed)
{
	unsigned int i;
	int ret;

	ret = qt_write_through(t, c->iova + off, seed);
	if (ret) {
		qt_fail(t, __LINE__, "edu copy", ret, off);
		return;
	}
	for (i = 0; i < QT_XFER; i++)
		*qt_shadow_byte(b, off + i) = t->src[i];
	qt_check_backing(t, b, __LINE__);
}

/*
 * edu must read nothing at @iova: its buffer keeps the marker it held, or
 * holds zeros (what QEMU returns for a failed DMA read).
 */
static void qt_check_blocked_read(struct qtest *t, unsigned long iova)
{
	int ret;

	qt_fill(t->src, QT_XFER, QT_SEED_MARKER);
	ret = qt_edu_copy(t, QT_SRC_IOVA, false);
	if (!ret)
		ret = qt_read_through(t, iova);
	if (ret) {
		qt_fail(t, __LINE__, "edu copy", ret, iova);
		return;
	}
	if (!memcmp(t->sink, t->src, QT_XFER))
		t->reads_kept++;
	else if (!memchr_inv(t->sink, 0, QT_XFER))
		t->reads_zero++;
	else
		qt_fail(t, __LINE__, "edu read data at an unmapped IOVA", iova,
			*(u32 *)t->sink);
}

/* edu writes at @iova; the caller checks that nothing of ours changed */
static void qt_blocked_write(struct qtest *t, unsigned long iova)
{
	int ret;

	ret = qt_write_through(t, iova, QT_SEED_STRAY);
	if (ret)
		qt_fail(t, __LINE__, "edu copy", ret, iova);
}

static int qt_backing_alloc(struct qt_backing *b, const struct qt_case *c,
			    u32 seed)
{
	switch (c->kind) {
	case QT_SWAPPED:
		b->order = QT_SWAPPED_ORDER;
		b->swapped = true;
		break;
	case QT_WINDOW:
		b->order = QT_WINDOW_ORDER;
		break;
	default:
		b->order = c->shift - PAGE_SHIFT;
	}
	b->len = PAGE_SIZE << b->order;
	b->block = alloc_pages(GFP_KERNEL | __GFP_NOWARN, b->order);
	b->shadow = vmalloc(b->len);
	if (!b->block || !b->shadow)
		return -ENOMEM;
	b->virt = page_address(b->block);
	qt_fill(b->virt, b->len, seed);
	memcpy(b->shadow, b->virt, b->len);
	return 0;
}

static void qt_backing_free(struct qt_backing *b)
{
	vfree(b->shadow);
	if (b->block)
		__free_pages(b->block, b->order);
}

static int qt_map_case(struct qtest *t, const struct qt_case *c,
		       struct qt_backing *b)
{
	size_t size = BIT(c->shift);
	u64 pa = page_to_phys(b->block);
	int ret;

	switch (c->kind) {
	case QT_SWAPPED:
		ret = qt_map(t, c->iova, pa + SZ_4K, SZ_4K);
		if (!ret)
			ret = qt_map(t, c->iova + SZ_4K, pa, SZ_4K);
		break;
	case QT_WINDOW:
		b->lo = pa & (size - 1);
		ret = qt_map(t, c->iova, pa - b->lo, size);
		break;
	default:
		ret = qt_map(t, c->iova, pa, size);
	}
	if (!ret)
		ret = amdv1_qiommu_flush(&t->iommu);
	return ret;
}

/*
 * One page size: copies at the start, across the middle (two PTEs for the
 * 4 KiB pair and the Next Level 7 pages) and at the end of what we own, both
 * ways; then unmap, and the same IOVAs must move nothing.
 */
static void qt_run_case(struct qtest *t, unsigned int idx)
{
	const struct qt_case *c = &qt_cases[idx];
	struct qt_backing *b = &t->bk[idx];
	unsigned long off[3];
	unsigned int i;
	int ret;

	ret = qt_backing_alloc(b, c, QT_SEED_BACKGROUND + idx);
	if (ret) {
		qt_fail(t, __LINE__, "backing allocation", ret, c->shift);
		return;
	}
	ret = qt_map_case(t, c, b);
	if (ret || t->root_err) {
		qt_fail(t, __LINE__, "map", ret, t->root_err);
		return;
	}
	off[0] = b->lo;
	off[1] = b->lo + b->len / 2 - QT_XFER / 2;
	off[2] = b->lo + b->len - QT_XFER;
	for (i = 0; i < ARRAY_SIZE(off); i++)
		qt_check_read(t, c, b, off[i]);
	for (i = 0; i < ARRAY_SIZE(off); i++)
		qt_check_write(t, c, b, off[i], QT_SEED_WRITE + (idx << 8) + i);

	ret = c->kind == QT_SWAPPED ? qt_unmap(t, c->iova, SZ_4K * 2) :
				      qt_unmap(t, c->iova, BIT(c->shift));
	if (ret)
		qt_fail(t, __LINE__, "unmap", ret, c->iova);
	for (i = 0; i < ARRAY_SIZE(off); i++)
		qt_check_blocked_read(t, c->iova + off[i]);
	qt_blocked_write(t, c->iova + off[1]);
	qt_check_backing(t, b, __LINE__);
}

/*
 * Translation is on and edu sits behind the IOMMU. A throwaway table maps
 * IOVA phys(u) to page r and IOVA phys(d) to page s: edu reads at phys(u)
 * and writes at phys(d). Translated, s gets r's bytes; untranslated, d gets
 * u's. Either way only these four pages of ours are touched.
 */
static void qt_test_translation(struct qtest *t)
{
	struct amdv1_pgtable_cfg cfg = { .levels = QT_PROBE_LEVELS };
	struct io_pgtable_ops *probe;
	u8 *r, *u, *s, *d, *copy;
	unsigned int levels;
	struct page *block;
	u64 pa, root;
	int ret;

	block = alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
	copy = kmalloc(SZ_4K, GFP_KERNEL);
	probe = amdv1_pgtable_alloc(&cfg);
	if (!block || !copy || IS_ERR(probe)) {
		qt_fail(t, __LINE__, "probe allocation", 0, 0);
		goto out_free;
	}
	r = page_address(block);
	u = r + SZ_4K;
	s = r + SZ_8K;
	d = r + SZ_8K + SZ_4K;
	pa = page_to_phys(block);
	qt_fill(r, SZ_4K, QT_SEED_PROBE + 1);
	qt_fill(u, SZ_4K, QT_SEED_PROBE + 2);
	qt_fill(d, SZ_4K, QT_SEED_PROBE + 3);
	memcpy(copy, d, SZ_4K);
	ret = probe->map_pages(probe, pa + SZ_4K, pa, SZ_4K, 1, QT_PROT,
			       GFP_KERNEL, NULL);
	if (!ret)
		ret = probe->map_pages(probe, pa + SZ_8K + SZ_4K, pa + SZ_8K,
				       SZ_4K, 1, QT_PROT, GFP_KERNEL, NULL);
	root = amdv1_pgtable_root(probe, &levels);
	if (!ret)
		ret = amdv1_qiommu_set_dte(&t->iommu, t->devid, root, levels,
					   true, true);
	if (!ret)
		ret = qt_edu_copy(t, pa + SZ_4K, false);
	if (!ret)
		ret = qt_edu_copy(t, pa + SZ_8K + SZ_4K, true);
	if (ret)
		qt_fail(t, __LINE__, "probe", ret, 0);
	else if (memcmp(d, copy, SZ_4K))
		qt_fail(t, __LINE__, "edu is not translated: put -device edu after -device amd-iommu",
			pa, 0);
	else if (memcmp(s, r, QT_XFER))
		qt_fail(t, __LINE__, "no data through the probe table",
			*(u32 *)s, *(u32 *)r);

	/* edu moves to the test table before the probe table goes away */
	root = amdv1_pgtable_root(t->ops, &levels);
	ret = amdv1_qiommu_set_dte(&t->iommu, t->devid, root, levels, true,
				   true);
	if (ret)
		qt_fail(t, __LINE__, "set_dte", ret, 0);
out_free:
	if (!IS_ERR_OR_NULL(probe))
		amdv1_pgtable_free(probe);
	kfree(copy);
	if (block)
		__free_pages(block, 2);
}

static void qt_test_depth(struct qtest *t)
{
	unsigned int levels;

	amdv1_pgtable_root(t->ops, &levels);
	if (levels != QT_LEVELS_END || t->root_calls != QT_GROWTHS)
		qt_fail(t, __LINE__, "levels, root updates", levels,
			t->root_calls);
	if (t->root_err)
		qt_fail(t, __LINE__, "root update", t->root_err, 0);
}

/* IOVAs mapped by nothing: a leaf slot, a mid-level and a top-level hole */
static void qt_holes(struct qtest *t, unsigned long *hole)
{
	hole[0] = QT_HOLE_IOVA;
	hole[1] = virt_to_phys(t->alias);
	hole[2] = QT_HOLE_TOP_IOVA;
}

/*
 * No data at unmapped IOVAs. One of them is the physical address of a page
 * of ours holding a known pattern: an untranslated read would fetch it.
 */
static void qt_test_unmapped_read(struct qtest *t)
{
	unsigned long hole[3];
	unsigned int i;

	qt_holes(t, hole);
	if (t->ops->iova_to_phys(t->ops, hole[1])) {
		qt_fail(t, __LINE__, "the alias page's address is mapped",
			hole[1], 0);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(hole); i++)
		qt_check_blocked_read(t, hole[i]);
	pr_info("amdv1_qemu: # reads at unmapped IOVAs: %u gave zeros, %u left edu's buffer as it was\n",
		t->reads_zero, t->reads_kept);
}

static void qt_test_unmapped_write(struct qtest *t)
{
	unsigned long hole[3];
	unsigned int i;

	qt_holes(t, hole);
	for (i = 0; i < ARRAY_SIZE(hole); i++)
		qt_blocked_write(t, hole[i]);
	for (i = 0; i < ARRAY_SIZE(t->bk); i++)
		qt_check_backing(t, &t->bk[i], __LINE__);
}

/*
 * The unmapped IOVAs above must have logged IO_PAGE_FAULTs for edu. If none
 * came, a control fault tells a broken test from an emulator that logs
 * nothing: a write that edu's device table entry itself forbids (IW = 0).
 * Returns the reason to skip, or NULL.
 */
static const char *qt_test_fault_logged(struct qtest *t)
{
	unsigned int faults, control, levels;
	bool abort_holes, abort_control;
	u64 root;
	int ret;

	faults = amdv1_qiommu_events(&t->iommu, t->devid,
				     AMDV1_QI_EVT_IO_PAGE_FAULT);
	abort_holes = amdv1_qiommu_target_abort(&t->iommu);
	pr_info("amdv1_qemu: # unmapped IOVAs: %u IO_PAGE_FAULT events for devid 0x%x, IOMMU signaled target abort: %s\n",
		faults, t->devid, abort_holes ? "yes" : "no");
	if (faults)
		return NULL;

	root = amdv1_pgtable_root(t->ops, &levels);
	ret = amdv1_qiommu_set_dte(&t->iommu, t->devid, root, levels, true,
				   false);
	memset(t->sink, QT_SINK_FILL, QT_XFER);
	if (!ret)
		ret = qt_write_through(t, QT_SINK_IOVA, QT_SEED_STRAY);
	if (!ret)
		ret = amdv1_qiommu_set_dte(&t->iommu, t->devid, root, levels,
					   true, true);
	if (ret)
		qt_fail(t, __LINE__, "control fault", ret, 0);
	if (memchr_inv(t->sink, QT_SINK_FILL, QT_XFER))
		qt_fail(t, __LINE__, "write with IW = 0 reached the sink",
			*(u32 *)t->sink, 0);
	control = amdv1_qiommu_events(&t->iommu, t->devid,
				      AMDV1_QI_EVT_IO_PAGE_FAULT);
	abort_control = amdv1_qiommu_target_abort(&t->iommu);
	pr_info("amdv1_qemu: # control fault (DTE IW = 0): %u IO_PAGE_FAULT events, target abort: %s, event log memory %s\n",
		control, abort_control ? "yes" : "no",
		memchr_inv(t->iommu.evtlog, 0, PAGE_SIZE) ? "written" : "all zero");
	if (!control && abort_control)
		return "the emulated IOMMU signals faults (target abort) but logs no event";
	qt_fail(t, __LINE__, "no IO_PAGE_FAULT for an unmapped IOVA", faults,
		control);
	return NULL;
}

static void qt_test_untouched(struct qtest *t)
{
	u8 *want;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(t->bk); i++)
		qt_check_backing(t, &t->bk[i], __LINE__);
	want = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!want) {
		qt_fail(t, __LINE__, "allocation", 0, 0);
		return;
	}
	qt_fill(want, PAGE_SIZE, QT_SEED_ALIAS);
	if (memcmp(want, t->alias, PAGE_SIZE))
		qt_fail(t, __LINE__, "alias page changed", *(u32 *)t->alias,
			*(u32 *)want);
	kfree(want);
}

static int qt_edu_get(struct qtest *t)
{
	int ret;

	t->edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	if (!t->edu) {
		pr_err("amdv1_qemu: # no edu device (QEMU -device edu)\n");
		return -ENODEV;
	}
	ret = -EBUSY;
	if (device_iommu_mapped(&t->edu->dev)) {
		pr_err("amdv1_qemu: # an IOMMU driver owns edu: boot with amd_iommu=off\n");
		goto err_put;
	}
	ret = -ENODEV;
	if (t->edu->bus->number) {
		pr_err("amdv1_qemu: # edu is not on bus 0\n");
		goto err_put;
	}
	ret = pci_enable_device(t->edu);
	if (ret)
		goto err_put;
	ret = pci_request_region(t->edu, 0, KBUILD_MODNAME);
	if (ret)
		goto err_disable;
	ret = -ENOMEM;
	t->regs = pci_iomap(t->edu, 0, 0);
	if (!t->regs)
		goto err_release;
	ret = -ENODEV;
	if (FIELD_GET(EDU_ID_MAGIC, readl(t->regs + EDU_REG_ID)) !=
	    EDU_ID_MAGIC_VAL)
		goto err_unmap;
	t->devid = pci_dev_id(t->edu);
	pci_set_master(t->edu);
	return 0;

err_unmap:
	pci_iounmap(t->edu, t->regs);
err_release:
	pci_release_region(t->edu, 0);
err_disable:
	pci_disable_device(t->edu);
err_put:
	pci_dev_put(t->edu);
	t->edu = NULL;
	return ret;
}

static void qt_edu_put(struct qtest *t)
{
	pci_clear_master(t->edu);
	pci_iounmap(t->edu, t->regs);
	pci_release_region(t->edu, 0);
	pci_disable_device(t->edu);
	pci_dev_put(t->edu);
}

/*
 * The test domain: an empty one-level table with the source and sink pages
 * mapped, and a page that stays unmapped. edu's entry is written by
 * qt_test_translation().
 */
static int qt_domain_create(struct qtest *t)
{
	int ret;

	t->cfg.levels = QT_LEVELS_START;
	t->cfg.set_root = qt_set_root;
	t->cfg.cookie = t;
	t->ops = amdv1_pgtable_alloc(&t->cfg);
	if (IS_ERR(t->ops)) {
		ret = PTR_ERR(t->ops);
		t->ops = NULL;
		return ret;
	}
	t->src = (u8 *)get_zeroed_page(GFP_KERNEL);
	t->sink = (u8 *)get_zeroed_page(GFP_KERNEL);
	t->alias = (u8 *)get_zeroed_page(GFP_KERNEL);
	if (!t->src || !t->sink || !t->alias)
		return -ENOMEM;
	qt_fill(t->alias, PAGE_SIZE, QT_SEED_ALIAS);
	ret = qt_map(t, QT_SRC_IOVA, virt_to_phys(t->src), SZ_4K);
	if (!ret)
		ret = qt_map(t, QT_SINK_IOVA, virt_to_phys(t->sink), SZ_4K);
	return ret;
}

/* edu's DMA off, then translation off; only then what the IOMMU reads is freed */
static void qt_teardown(struct qtest *t)
{
	unsigned int i;

	if (t->edu)
		qt_edu_put(t);
	if (t->iommu_on)
		amdv1_qiommu_destroy(&t->iommu);
	if (t->ops)
		amdv1_pgtable_free(t->ops);
	for (i = 0; i < ARRAY_SIZE(t->bk); i++)
		qt_backing_free(&t->bk[i]);
	free_page((unsigned long)t->alias);
	free_page((unsigned long)t->sink);
	free_page((unsigned long)t->src);
}

static int qt_setup(struct qtest *t)
{
	int ret;

	ret = qt_edu_get(t);
	if (ret)
		return ret;
	ret = amdv1_qiommu_init(&t->iommu);
	if (ret) {
		pr_err("amdv1_qemu: # no AMD IOMMU in ACPI IVRS (QEMU -device amd-iommu)\n");
		return ret;
	}
	t->iommu_on = true;
	pr_info("amdv1_qemu: # IOMMU %s, edu %s (devid 0x%x)\n",
		t->iommu.pdev ? pci_name(t->iommu.pdev) : "?",
		pci_name(t->edu), t->devid);
	return qt_domain_create(t);
}

static void qt_run(struct qtest *t)
{
	const char *skip;
	unsigned int i;

	qt_test_translation(t);
	qt_report(t, "translation_enabled_edu_behind_iommu", NULL);
	if (t->failures)
		return;
	for (i = 0; i < ARRAY_SIZE(qt_cases); i++) {
		qt_run_case(t, i);
		qt_report(t, qt_cases[i].name, NULL);
	}
	qt_test_depth(t);
	qt_report(t, "table_grew_from_1_to_3_levels", NULL);
	qt_test_unmapped_read(t);
	qt_report(t, "unmapped_iova_reads_no_data", NULL);
	qt_test_unmapped_write(t);
	qt_report(t, "unmapped_iova_write_dropped", NULL);
	skip = qt_test_fault_logged(t);
	qt_report(t, "unmapped_iova_io_page_fault_logged", skip);
	qt_test_untouched(t);
	qt_report(t, "memory_outside_mappings_untouched", NULL);
	qt_report(t, "dma_with_test_me_mask",
		  "QEMU emulates no SME: its walker would take the mask bit for an address bit");
}

static int __init qt_init(void)
{
	struct qtest *t;
	int ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->live_tables = amdv1_pgtable_live_tables();
	ret = qt_setup(t);
	if (ret)
		qt_fail(t, __LINE__, "setup", ret, 0);
	qt_report(t, "setup", NULL);
	if (!ret)
		qt_run(t);
	qt_teardown(t);
	if (amdv1_pgtable_live_tables() != t->live_tables)
		qt_fail(t, __LINE__, "live tables", amdv1_pgtable_live_tables(),
			t->live_tables);
	qt_report(t, "teardown_no_table_left", NULL);
	if (!ret && t->failures)
		ret = -EINVAL;
	kfree(t);
	return ret;
}

static void __exit qt_exit(void)
{
}

module_init(qt_init);
module_exit(qt_exit);
MODULE_DESCRIPTION("DMA test of the AMD IOMMU v1 page table on QEMU's amd-iommu");
MODULE_LICENSE("GPL");
