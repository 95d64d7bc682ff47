// SPDX-License-Identifier: GPL-2.0-only
/*
 * Self-test of the AMD IOMMU v1 page table (amd_v1_pgtable.c).
 *
 * Loading the module runs every test once with the kernel's own encryption
 * mask (sme_me_mask, zero without SME) and once more with a fake one
 * (TEST_ME_MASK), prints one "ok N name" / "not ok N name" line per test and
 * fails the load if any test failed. The same file builds in userspace
 * against a thin shim (tools/testing/selftests/amd_iommu_pgtable) to run
 * under valgrind.
 *
 * Every answer of the table is checked against two references written
 * independently of it: a model (a flat list of mappings, searched by brute
 * force, with the io-pgtable unmap rules) and a raw walker that decodes the
 * table memory straight from the spec and also checks that every address in
 * it carries the mask.
 * Lifetime: each test owns the tables it creates; the last test checks that
 * no table page is left.
 */
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/mem_encrypt.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "amd_v1_pgtable.h"

/* A mask where SME parts put the C-bit; any bit of the address field works */
#define TEST_ME_MASK		BIT_ULL(47)
#define MODEL_MAX		64
#define RANDOM_OPS		300

/* The reference walker's view of spec §2.2.3, kept apart from the table's */
#define REF_PR			BIT_ULL(0)
#define REF_NEXT_LEVEL		GENMASK_ULL(11, 9)
#define REF_ADDR		GENMASK_ULL(51, 12)
#define REF_IR			BIT_ULL(61)
#define REF_IW			BIT_ULL(62)
#define REF_NL_SIZED		7
#define REF_PAGE_SHIFT		12
#define REF_LEVEL_BITS		9
#define REF_ENTRIES		512

static unsigned long long seed = 0x5eed;
module_param(seed, ullong, 0444);
MODULE_PARM_DESC(seed, "seed of the random map/unmap sequences");

static unsigned int random_ops = RANDOM_OPS;
module_param(random_ops, uint, 0444);
MODULE_PARM_DESC(random_ops, "map/unmap operations per random window");

struct model_map {
	unsigned long iova;
	u64 pa;
	unsigned int shift;
};

struct test_ctx {
	u64 me_mask;		/* given to the table; 0: production */
	u64 want_mask;		/* what must appear in every address */
	u64 rng;
	bool failed;
	unsigned long pgsize_bitmap;
	unsigned int root_calls;
	unsigned int root_levels;
	u64 root_ptr;
	unsigned int nr_maps;
	struct model_map maps[MODEL_MAX];
};

static void test_fail(struct test_ctx *ctx, int line, const char *what,
		      u64 a, u64 b)
{
	ctx->failed = true;
	pr_err("amdv1_test: line %d: %s (0x%llx vs 0x%llx)\n", line, what,
	       (unsigned long long)a, (unsigned long long)b);
}

/* Checks return false on failure; the caller then jumps to its cleanup. */
static bool expect_eq(struct test_ctx *ctx, int line, const char *what, u64 a, u64 b)
{
	if (a == b)
		return true;
	test_fail(ctx, line, what, a, b);
	return false;
}

#define EXPECT_EQ(a, b) expect_eq(ctx, __LINE__, #a " == " #b, (a), (b))
#define EXPECT(cond) EXPECT_EQ(!!(cond), 1)

static u64 rnd(struct test_ctx *ctx)
{
	/* xorshift64* */
	ctx->rng ^= ctx->rng >> 12;
	ctx->rng ^= ctx->rng << 25;
	ctx->rng ^= ctx->rng >> 27;
	return ctx->rng * 0x2545F4914F6CDD1DULL;
}

static u64 rnd_below(struct test_ctx *ctx, u64 n)
{
	return n ? rnd(ctx) % n : 0;
}

static unsigned long ref_reach(unsigned int levels)
{
	unsigned int shift = REF_PAGE_SHIFT + REF_LEVEL_BITS * levels;

	return shift >= BITS_PER_LONG ? ULONG_MAX : BIT(shift) - 1;
}

static void t_set_root(void *cookie, u64 root, unsigned int levels)
{
	struct test_ctx *ctx = cookie;

	ctx->root_calls++;
	ctx->root_levels = levels;
	ctx->root_ptr = root;
}

static struct io_pgtable_ops *t_new(struct test_ctx *ctx, unsigned int levels)
{
	struct amdv1_pgtable_cfg cfg = {
		.levels = levels,
		.test_me_mask = ctx->me_mask,
		.set_root = t_set_root,
		.cookie = ctx,
	};
	struct io_pgtable_ops *ops = amdv1_pgtable_alloc(&cfg);

	ctx->nr_maps = 0;
	ctx->root_calls = 0;
	if (IS_ERR(ops)) {
		test_fail(ctx, __LINE__, "amdv1_pgtable_alloc", PTR_ERR(ops), 0);
		return NULL;
	}
	ctx->pgsize_bitmap = cfg.pgsize_bitmap;
	return ops;
}

static void t_free(struct io_pgtable_ops *ops)
{
	if (ops)
		amdv1_pgtable_free(ops);
}

/* ---- the model: mappings in a flat list, searched by brute force ---- */

static unsigned long model_last(const struct model_map *m)
{
	return m->iova + (BIT(m->shift) - 1);
}

static int model_find(struct test_ctx *ctx, unsigned long iova)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_maps; i++)
		if (iova >= ctx->maps[i].iova && iova <= model_last(&ctx->maps[i]))
			return i;
	return -1;
}

static bool model_overlaps(struct test_ctx *ctx, unsigned long iova,
			   unsigned long last)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_maps; i++)
		if (iova <= model_last(&ctx->maps[i]) && last >= ctx->maps[i].iova)
			return true;
	return false;
}

static void model_remove(struct test_ctx *ctx, int i)
{
	ctx->maps[i] = ctx->maps[--ctx->nr_maps];
}

/* io-pgtable unmap: whole leaves from @iova on, stop at a hole or a partial leaf */
static u64 model_unmap(struct test_ctx *ctx, unsigned long iova,
		       unsigned long last)
{
	u64 done = 0;
	int i;

	for (;;) {
		unsigned long end;

		i = model_find(ctx, iova);
		if (i < 0 || ctx->maps[i].iova != iova ||
		    model_last(&ctx->maps[i]) > last)
			break;
		end = model_last(&ctx->maps[i]);
		done += BIT_ULL(ctx->maps[i].shift);
		model_remove(ctx, i);
		if (end == last)
			break;
		iova = end + 1;
	}
	return done;
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Tables the model's mappings need: one per (level, span) they pass through */
static long model_tables(struct test_ctx *ctx, unsigned int levels)
{
	unsigned int i, level, n = 0, distinct = 0;
	u64 *ids;

	ids = kmalloc_array(MODEL_MAX * AMDV1_MAX_LEVELS, sizeof(*ids),
			    GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	for (i = 0; i < ctx->nr_maps; i++) {
		unsigned int leaf = (ctx->maps[i].shift - REF_PAGE_SHIFT) /
				    REF_LEVEL_BITS + 1;

		for (level = leaf; level < levels; level++)
			ids[n++] = (ctx->maps[i].iova >>
				    (REF_PAGE_SHIFT + REF_LEVEL_BITS * level))
				   << 3 | level;
	}
	sort(ids, n, sizeof(*ids), cmp_u64, NULL);
	for (i = 0; i < n; i++)
		if (!i || ids[i] != ids[i - 1])
			distinct++;
	kfree(ids);
	return distinct + 1;
}

/* ---- the raw walker: decodes table memory straight from the spec ---- */

static u64 *ref_table(struct test_ctx *ctx, u64 addr)
{
	if ((addr & ctx->want_mask) != ctx->want_mask)
		return NULL;
	return phys_to_virt(addr & ~ctx->want_mask);
}

/*
 * Translate @iova as the IOMMU would. Returns false on a format error (a
 * missing mask, a bad level); *@pa is 0 when unmapped.
 */
static bool ref_walk(struct test_ctx *ctx, struct io_pgtable_ops *ops,
		     unsigned long iova, u64 *pa, unsigned int *shift)
{
	unsigned int levels, level, nl;
	u64 root = amdv1_pgtable_root(ops, &levels);
	u64 *table = ref_table(ctx, root), pte, addr;

	*pa = 0;
	if (!table || levels < 1 || levels > 6)
		return false;
	if (iova > ref_reach(levels))
		return true;
	for (level = levels; ; level--) {
		*shift = REF_PAGE_SHIFT + REF_LEVEL_BITS * (level - 1);
		pte = table[(iova >> *shift) % REF_ENTRIES];
		if (!(pte & REF_PR))
			return true;
		/* PDEs pass both permissions down (spec §2.2.3) */
		addr = pte & REF_ADDR;
		nl = FIELD_GET(REF_NEXT_LEVEL, pte);
		if (nl == 0 || nl == REF_NL_SIZED)
			break;
		if (nl != level - 1 || (~pte & (REF_IR | REF_IW)))
			return false;
		table = ref_table(ctx, addr);
		if (!table)
			return false;
	}
	if ((addr & ctx->want_mask) != ctx->want_mask)
		return false;
	addr &= ~ctx->want_mask;
	if (nl == REF_NL_SIZED) {
		/* size 2^n: bits n-2..12 set, bit n-1 clear */
		unsigned int n = REF_PAGE_SHIFT + 1;

		while (addr & BIT_ULL(n - 1))
			n++;
		if (n <= *shift || n > *shift + REF_LEVEL_BITS)
			return false;
		*shift = n;
	}
	*pa = (addr & ~(BIT_ULL(*shift) - 1)) | (iova & (BIT_ULL(*shift) - 1));
	return true;
}

/* Leaves in the raw table, one per page (a Next Level 7 run counts once) */
static long ref_count_pages(struct test_ctx *ctx, u64 *table,
			    unsigned int level)
{
	unsigned int i, n, nl, shift = REF_PAGE_SHIFT + REF_LEVEL_BITS * (level - 1);
	long pages = 0, sub;
	u64 *child;

	for (i = 0; i < REF_ENTRIES; i++) {
		u64 pte = table[i], addr = pte & REF_ADDR;

		if (!(pte & REF_PR))
			continue;
		nl = FIELD_GET(REF_NEXT_LEVEL, pte);
		if (nl == REF_NL_SIZED) {
			for (n = REF_PAGE_SHIFT + 1; addr & BIT_ULL(n - 1); n++)
				;
			i += BIT(n - shift) - 1;
		}
		if (nl == 0 || nl == REF_NL_SIZED) {
			pages++;
			continue;
		}
		child = ref_table(ctx, addr);
		if (nl != level - 1 || !child)
			return -1;
		sub = ref_count_pages(ctx, child, level - 1);
		if (sub < 0)
			return -1;
		pages += sub;
	}
	return pages;
}

/* ---- helpers: __x() returns the answer, x() expects success ---- */

static u64 t_pa_limit(struct test_ctx *ctx)
{
	return ctx->want_mask ? ctx->want_mask : BIT_ULL(52);
}

/* A random physical address for a page of 2^@shift bytes, never 0 if possible */
static u64 t_pa(struct test_ctx *ctx, unsigned int shift)
{
	u64 slots = t_pa_limit(ctx) >> shift;

	return slots > 1 ? (1 + rnd_below(ctx, slots - 1)) << shift : 0;
}

static int __t_map_raw(struct io_pgtable_ops *ops, unsigned long iova, u64 pa,
		       size_t pgsize, size_t count, int prot)
{
	size_t mapped = 0;
	int ret;

	ret = ops->map_pages(ops, iova, pa, pgsize, count, prot, GFP_KERNEL,
			     &mapped);
	if (!ret && mapped != pgsize * count)
		return -EPROTO;
	return ret;
}

static int __t_map(struct test_ctx *ctx, struct io_pgtable_ops *ops,
		   unsigned long iova, u64 pa, unsigned int shift, int prot)
{
	int ret = __t_map_raw(ops, iova, pa, BIT(shift), 1, prot);

	if (!ret && ctx->nr_maps < MODEL_MAX)
		ctx->maps[ctx->nr_maps++] = (struct model_map){
			.iova = iova, .pa = pa | prot, .shift = shift };
	return ret;
}

#define RW (IOMMU_READ | IOMMU_WRITE)
#define t_map(ops, iova, pa, shift) \
	EXPECT_EQ(__t_map(ctx, ops, iova, pa, shift, RW), 0)
#define t_map_err(err, ops, iova, pa, shift) \
	EXPECT_EQ(__t_map(ctx, ops, iova, pa, shift, RW), (u64)-(err))

/*
 * Unmap through a fresh gather list and check the contract with the caller:
 * the gathered range is exactly what was unmapped (one flush covers it) and
 * the list holds exactly the tables that left the tree.
 */
static u64 __t_unmap(struct test_ctx *ctx, struct io_pgtable_ops *ops,
		     unsigned long iova, unsigned int shift, size_t count)
{
	struct iommu_iotlb_gather gather;
	unsigned long before = amdv1_pgtable_nr_tables(ops);
	unsigned long gathered = 0;
	struct page *page;
	size_t done;

	iommu_iotlb_gather_init(&gather);
	done = ops->unmap_pages(ops, iova, BIT(shift), count, &gather);
	list_for_each_entry(page, &gather.freelist, lru)
		gathered++;
	if (done && (gather.start != iova || gather.end != iova + done - 1))
		test_fail(ctx, __LINE__, "gather range", gather.start,
			  gather.end);
	if (before - amdv1_pgtable_nr_tables(ops) != gathered)
		test_fail(ctx, __LINE__, "gathered tables", gathered,
			  before - amdv1_pgtable_nr_tables(ops));
	amdv1_pgtable_gather_release(&gather);
	return done;
}

/* Unmap and expect what the model says */
static bool t_unmap_check(struct test_ctx *ctx, struct io_pgtable_ops *ops,
			  unsigned long iova, unsigned int shift, size_t count)
{
	u64 want = model_unmap(ctx, iova, iova + (BIT(shift) * count - 1));

	if (__t_unmap(ctx, ops, iova, shift, count) != want)
		test_fail(ctx, __LINE__, "unmap at", iova, shift);
	return !ctx->failed;
}

#define t_unmap(ops, iova, shift, count) t_unmap_check(ctx, ops, iova, shift, count)

/* One IOVA: the table, the raw walker and the model must agree */
static bool t_probe(struct test_ctx *ctx, struct io_pgtable_ops *ops,
		    unsigned long iova)
{
	int i = model_find(ctx, iova);
	u64 want = 0, raw, got = ops->iova_to_phys(ops, iova);
	unsigned int shift = 0;

	if (i >= 0)
		want = (ctx->maps[i].pa & ~(u64)RW) + (iova - ctx->maps[i].iova);
	if (!ref_walk(ctx, ops, iova, &raw, &shift)) {
		test_fail(ctx, __LINE__, "raw table format", iova, 0);
		return false;
	}
	if (got != want || raw != want) {
		test_fail(ctx, __LINE__, "translation", got, want);
		pr_err("amdv1_test: iova 0x%lx raw 0x%llx\n", iova,
		       (unsigned long long)raw);
		return false;
	}
	if (i >= 0 && shift != ctx->maps[i].shift) {
		test_fail(ctx, __LINE__, "page size", shift, ctx->maps[i].shift);
		return false;
	}
	return true;
}

/* Whole-table check: every mapping at both ends, the shape, the leaf count */
static bool t_check(struct test_ctx *ctx, struct io_pgtable_ops *ops)
{
	unsigned int i, levels;
	u64 root = amdv1_pgtable_root(ops, &levels);
	long pages, tables;

	for (i = 0; i < ctx->nr_maps; i++) {
		if (!t_probe(ctx, ops, ctx->maps[i].iova) ||
		    !t_probe(ctx, ops, model_last(&ctx->maps[i])))
			return false;
	}
	tables = model_tables(ctx, levels);
	if (tables != amdv1_pgtable_nr_tables(ops)) {
		test_fail(ctx, __LINE__, "tables", amdv1_pgtable_nr_tables(ops),
			  tables);
		return false;
	}
	pages = ref_count_pages(ctx, ref_table(ctx, root), levels);
	if (pages != ctx->nr_maps) {
		test_fail(ctx, __LINE__, "leaves", pages, ctx->nr_maps);
		return false;
	}
	return true;
}

/* ---- the tests ---- */

/*
 * The bug this table exists for: with SME the leaf holds pa | C-bit and
 * iova_to_phys() handed it back, so type1's unmap got an address failing
 * pfn_valid() and leaked the pinned page. Always run with a non-zero mask.
 */
static void test_sme_iova_to_phys_strips_mask(struct test_ctx *ctx)
{
	static const unsigned int shifts[] = { 12, 13, 16, 21, 22, 30, 31 };
	struct io_pgtable_ops *ops;
	unsigned int i;

	ctx->me_mask = TEST_ME_MASK;
	ctx->want_mask = TEST_ME_MASK;
	ops = t_new(ctx, 3);
	if (!EXPECT(ops))
		goto out;
	for (i = 0; i < ARRAY_SIZE(shifts); i++) {
		unsigned long iova = BIT(32) * (i + 1);
		u64 pa = (0x1230ULL + i) << shifts[i];
		u64 phys;

		if (!t_map(ops, iova, pa, shifts[i]))
			goto out;
		phys = ops->iova_to_phys(ops, iova + 0x10);
		if (!EXPECT_EQ(phys, pa + 0x10))
			goto out;
		if (!EXPECT_EQ(phys & TEST_ME_MASK, 0))
			goto out;
	}
	/* the raw walker requires the mask on the root and in every entry */
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
out:
	t_free(ops);
}

static void test_every_size_every_level(struct test_ctx *ctx)
{
	struct io_pgtable_ops *ops = NULL;
	unsigned int levels, shift, k;

	for (levels = AMDV1_MIN_LEVELS; levels <= AMDV1_MAX_LEVELS; levels++) {
		for (shift = 12; shift < BITS_PER_LONG; shift++) {
			unsigned long size = BIT(shift), reach = ref_reach(levels);
			unsigned long iovas[3] = { 0, reach - size + 1, reach + 1 };

			ops = t_new(ctx, levels);
			if (!EXPECT(ops))
				goto out;
			if (!(ctx->pgsize_bitmap & size)) {
				t_free(ops);
				ops = NULL;
				continue;
			}
			for (k = 0; k < ARRAY_SIZE(iovas); k++) {
				unsigned long iova = iovas[k];

				if (size - 1 > reach && k == 1)
					continue;
				if (k == 2 && levels == AMDV1_MAX_LEVELS)
					continue;
				if (model_overlaps(ctx, iova, iova + size - 1))
					continue;
				if (__t_map(ctx, ops, iova, t_pa(ctx, shift),
					    shift, RW))
					test_fail(ctx, levels, "map at", iova,
						  shift);
				if (!EXPECT(!ctx->failed))
					goto out;
				if (!EXPECT(t_probe(ctx, ops, iova + size / 2)))
					goto out;
				if (iova)
					if (!EXPECT(t_probe(ctx, ops, iova - 1)))
						goto out;
				if (iova + size)
					if (!EXPECT(t_probe(ctx, ops, iova + size)))
						goto out;
				if (!EXPECT(t_check(ctx, ops)))
					goto out;
			}
			/* whole pages, then in 4 KiB steps for the first one */
			if (!t_unmap(ops, 0, 12, size >> 12))
				goto out;
			while (ctx->nr_maps)
				if (!t_unmap(ops, ctx->maps[0].iova, shift, 1))
					goto out;
			if (!EXPECT(t_check(ctx, ops)))
				goto out;
			if (!EXPECT_EQ(amdv1_pgtable_nr_tables(ops), 1))
				goto out;
			t_free(ops);
			ops = NULL;
		}
	}
out:
	t_free(ops);
}

static void test_boundary_iovas(struct test_ctx *ctx)
{
	unsigned long top = ULONG_MAX - BIT(12) + 1;
	struct io_pgtable_ops *ops = t_new(ctx, 3);
	unsigned int levels;

	if (!EXPECT(ops))
		goto out;
	if (!t_map(ops, top, t_pa(ctx, 12), 12))
		goto out;
	amdv1_pgtable_root(ops, &levels);
	if (!EXPECT_EQ(levels, AMDV1_MAX_LEVELS))
		goto out;
	if (!EXPECT(t_probe(ctx, ops, ULONG_MAX)))
		goto out;
	/* io-pgtable: the first page stays mapped, the caller unmaps it */
	if (!EXPECT_EQ(__t_map_raw(ops, top - BIT(12), BIT(20), BIT(12), 2, RW),
		       (u64)-EEXIST))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, top - BIT(12), 12, 1), BIT(12)))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, top, BIT(20), BIT(12), 2, RW), (u64)-EINVAL))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, top, 12, 2), 0))
		goto out;
	if (!t_map(ops, 0, t_pa(ctx, 12), 12))
		goto out;
	/* runs crossing a 2 MiB, a 1 GiB and a 512 GiB table boundary */
	if (!EXPECT_EQ(__t_map_raw(ops, BIT(21) - BIT(13), BIT(24), BIT(12), 4, RW), 0))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, BIT(30) - BIT(13), BIT(24), BIT(12), 4, RW), 0))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, BIT(39) - BIT(13), BIT(24), BIT(12), 4, RW), 0))
		goto out;
	if (!EXPECT_EQ(ops->iova_to_phys(ops, BIT(39) + 0x1234), BIT(24) + 0x3234))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, BIT(21) - BIT(13), 12, 4), BIT(14)))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, BIT(30) - BIT(13), 13, 2), BIT(14)))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, BIT(39) - BIT(13), 12, 4), BIT(14)))
		goto out;
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
	if (!t_unmap(ops, top, 12, 1))
		goto out;
	if (!t_unmap(ops, 0, 12, 1))
		goto out;
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
	if (!EXPECT_EQ(amdv1_pgtable_nr_tables(ops), 1))
		goto out;
out:
	t_free(ops);
}

static void test_depth_growth(struct test_ctx *ctx)
{
	static const unsigned int shifts[] = { 21, 30, 39, 48, 57 };
	struct io_pgtable_ops *ops = t_new(ctx, 1);
	unsigned int i, levels;
	u64 root;

	if (!EXPECT(ops))
		goto out;
	if (!t_map(ops, BIT(12), t_pa(ctx, 12), 12))
		goto out;
	if (!EXPECT_EQ(ctx->root_calls, 0))
		goto out;
	for (i = 0; i < ARRAY_SIZE(shifts); i++) {
		if (!t_map(ops, BIT(shifts[i]) + BIT(12), t_pa(ctx, 12), 12))
			goto out;
		root = amdv1_pgtable_root(ops, &levels);
		if (!EXPECT_EQ(levels, i + 2))
			goto out;
		if (!EXPECT_EQ(ctx->root_calls, i + 1))
			goto out;
		if (!EXPECT_EQ(ctx->root_levels, levels))
			goto out;
		if (!EXPECT_EQ(ctx->root_ptr, root))
			goto out;
		if (!EXPECT(t_check(ctx, ops)))
			goto out;
	}
	while (ctx->nr_maps)
		if (!t_unmap(ops, ctx->maps[0].iova, 12, 1))
			goto out;
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
	/* the depth stays: the DTE keeps pointing at the same root */
	amdv1_pgtable_root(ops, &levels);
	if (!EXPECT_EQ(levels, AMDV1_MAX_LEVELS))
		goto out;
	if (!EXPECT_EQ(amdv1_pgtable_nr_tables(ops), 1))
		goto out;
out:
	t_free(ops);
}

static void test_partial_unmap_refused(struct test_ctx *ctx)
{
	struct io_pgtable_ops *ops = t_new(ctx, 3);

	if (!EXPECT(ops))
		goto out;
	if (!t_map(ops, BIT(21), t_pa(ctx, 21), 21))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, BIT(21) + BIT(12), 12, 1), 0))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, BIT(21), 12, 1), 0))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, BIT(21), 20, 1), 0))
		goto out;
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
	if (!t_unmap(ops, BIT(21), 12, 512))
		goto out;
	/* a Next Level 7 page, 64 KiB */
	if (!t_map(ops, BIT(16), t_pa(ctx, 16), 16))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, BIT(16) + BIT(12), 12, 1), 0))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, BIT(16), 15, 1), 0))
		goto out;
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
	if (!t_unmap(ops, BIT(16), 15, 2))
		goto out;
	/* 1 GiB, asked for in 2 MiB pieces */
	if (!t_map(ops, BIT(30), t_pa(ctx, 30), 30))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, BIT(30), 21, 511), 0))
		goto out;
	if (!t_unmap(ops, BIT(30), 21, 512))
		goto out;
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
	if (!EXPECT_EQ(amdv1_pgtable_nr_tables(ops), 1))
		goto out;
out:
	t_free(ops);
}

static void test_unmap_stops_at_hole(struct test_ctx *ctx)
{
	struct io_pgtable_ops *ops = t_new(ctx, 3);

	if (!EXPECT(ops))
		goto out;
	if (!t_map(ops, 0, t_pa(ctx, 12), 12))
		goto out;
	if (!t_map(ops, BIT(13), t_pa(ctx, 12), 12))
		goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, 0, 12, 3), BIT(12)))
		goto out;
	model_unmap(ctx, 0, BIT(12) - 1);
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
	if (!t_map(ops, 4 * BIT(12), t_pa(ctx, 12), 12))
		goto out;
	if (!t_map(ops, 5 * BIT(12), t_pa(ctx, 12), 12))
		goto out;
	if (!t_map(ops, 6 * BIT(12), t_pa(ctx, 13), 13))
		goto out;
	if (!t_unmap(ops, 4 * BIT(12), 14, 2))
		goto out;
	if (!t_unmap(ops, BIT(13), 12, 1))
		goto out;
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
	if (!EXPECT_EQ(amdv1_pgtable_nr_tables(ops), 1))
		goto out;
out:
	t_free(ops);
}

static void test_map_over_mapping_refused(struct test_ctx *ctx)
{
	struct io_pgtable_ops *ops = t_new(ctx, 3);

	if (!EXPECT(ops))
		goto out;
	if (!t_map(ops, BIT(21) + BIT(12), t_pa(ctx, 12), 12))
		goto out;
	if (!t_map_err(EEXIST, ops, BIT(21), t_pa(ctx, 21), 21))
		goto out;
	if (!t_map_err(EEXIST, ops, BIT(21), t_pa(ctx, 13), 13))
		goto out;
	if (!t_map_err(EEXIST, ops, BIT(21) + BIT(12), t_pa(ctx, 12), 12))
		goto out;
	if (!t_map_err(EEXIST, ops, 0, t_pa(ctx, 30), 30))
		goto out;
	if (!t_map(ops, 2 * BIT(21), t_pa(ctx, 21), 21))
		goto out;
	if (!t_map_err(EEXIST, ops, 2 * BIT(21) + BIT(12), t_pa(ctx, 12), 12))
		goto out;
	if (!t_map(ops, BIT(16), t_pa(ctx, 14), 14))
		goto out;
	if (!t_map_err(EEXIST, ops, BIT(16) + BIT(13), t_pa(ctx, 13), 13))
		goto out;
	if (!t_map_err(EEXIST, ops, BIT(16) + BIT(12), t_pa(ctx, 12), 12))
		goto out;
	if (!t_map_err(EEXIST, ops, 0, t_pa(ctx, 17), 17))
		goto out;
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
	while (ctx->nr_maps)
		if (!t_unmap(ops, ctx->maps[0].iova, ctx->maps[0].shift, 1))
			goto out;
	if (!EXPECT_EQ(amdv1_pgtable_nr_tables(ops), 1))
		goto out;
out:
	t_free(ops);
}

static void test_invalid_arguments(struct test_ctx *ctx)
{
	u64 limit = t_pa_limit(ctx);
	struct amdv1_pgtable_cfg cfg = {};
	struct io_pgtable_ops *ops = t_new(ctx, 3);
	struct iommu_iotlb_gather gather;

	if (!EXPECT(ops))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, 0, 0, 0, 1, RW), (u64)-EINVAL))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, 0, 0, 3 * BIT(12), 1, RW), (u64)-EINVAL))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, 0, 0, BIT(11), 1, RW), (u64)-EINVAL))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, BIT(11), 0, BIT(12), 1, RW), (u64)-EINVAL))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, 0, BIT(11), BIT(12), 1, RW), (u64)-EINVAL))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, 0, BIT(12), BIT(12), 1, 0), (u64)-EINVAL))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, 0, BIT(12), BIT(12), 0, RW), (u64)-EINVAL))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, 0, limit, BIT(12), 1, RW), (u64)-EINVAL))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, 0, limit - BIT(12), BIT(12), 2, RW),
		       (u64)-EINVAL))
		goto out;
	if (!EXPECT_EQ(__t_map_raw(ops, 0, 0, BIT(52), 1, RW), (u64)-EINVAL))
		goto out;
	if (ctx->want_mask)
		if (!EXPECT_EQ(__t_map_raw(ops, 0, 0, ctx->want_mask << 1, 1, RW),
			       (u64)-EINVAL))
			goto out;
	if (!EXPECT_EQ(__t_unmap(ctx, ops, 0, 12, 0), 0))
		goto out;
	iommu_iotlb_gather_init(&gather);
	if (!EXPECT_EQ(ops->unmap_pages(ops, 0, 3 * BIT(12), 1, &gather), 0))
		goto out;
	if (!EXPECT_EQ(ops->unmap_pages(ops, BIT(11), BIT(12), 1, &gather), 0))
		goto out;
	if (!EXPECT(t_check(ctx, ops)))
		goto out;
	if (!EXPECT_EQ(amdv1_pgtable_nr_tables(ops), 1))
		goto out;

	cfg.levels = 0;
	if (!EXPECT_EQ(PTR_ERR(amdv1_pgtable_alloc(&cfg)), (u64)-EINVAL))
		goto out;
	cfg.levels = AMDV1_MAX_LEVELS + 1;
	if (!EXPECT_EQ(PTR_ERR(amdv1_pgtable_alloc(&cfg)), (u64)-EINVAL))
		goto out;
	cfg.levels = 3;
	cfg.test_me_mask = BIT_ULL(47) | BIT_ULL(46);
	if (!EXPECT_EQ(PTR_ERR(amdv1_pgtable_alloc(&cfg)), (u64)-EINVAL))
		goto out;
	cfg.test_me_mask = BIT_ULL(5);
	if (!EXPECT_EQ(PTR_ERR(amdv1_pgtable_alloc(&cfg)), (u64)-EINVAL))
		goto out;
	cfg.test_me_mask = BIT_ULL(52);
	if (!EXPECT_EQ(PTR_ERR(amdv1_pgtable_alloc(&cfg)), (u64)-EINVAL))
		goto out;
out:
	t_free(ops);
}

static void test_empty_tables_freed(struct test_ctx *ctx)
{
	static const unsigned long iovas[] = {
		0, BIT(21), BIT(30), BIT(39) - BIT(12), 3 * BIT(39), BIT(12),
	};
	struct io_pgtable_ops *ops = t_new(ctx, 4);
	long live = amdv1_pgtable_live_tables();
	unsigned int i;

	if (!EXPECT(ops))
		goto out;
	for (i = 0; i < ARRAY_SIZE(iovas); i++) {
		if (!t_map(ops, iovas[i], t_pa(ctx, 12), 12))
			goto out;
		if (!EXPECT(t_check(ctx, ops)))
			goto out;
	}
	if (!EXPECT_EQ(amdv1_pgtable_live_tables() - live,
		       amdv1_pgtable_nr_tables(ops) - 1))
		goto out;
	for (i = 0; i < ARRAY_SIZE(iovas); i++) {
		if (!t_unmap(ops, iovas[i], 12, 1))
			goto out;
		if (!EXPECT(t_check(ctx, ops)))
			goto out;
	}
	if (!EXPECT_EQ(amdv1_pgtable_nr_tables(ops), 1))
		goto out;
	if (!EXPECT_EQ(amdv1_pgtable_live_tables(), live))
		goto out;
out:
	t_free(ops);
}

struct test_window {
	unsigned long base;
	unsigned int span;
	unsigned int levels;
	unsigned int max_shift;
};

static const struct test_window test_windows[] = {
	{ 0, 32, 3, 30 },
	{ BIT(39) - BIT(31), 32, 1, 30 },
	{ 0UL - BIT(32), 32, 4, 30 },
	{ 3 * BIT(22), 23, 2, 22 },
};

static unsigned int t_random_shift(struct test_ctx *ctx, unsigned int max)
{
	static const unsigned int pool[] = {
		12, 12, 12, 13, 14, 16, 20, 21, 21, 22, 25, 30,
	};
	unsigned int shift;

	do {
		shift = pool[rnd_below(ctx, ARRAY_SIZE(pool))];
	} while (shift > max || !(ctx->pgsize_bitmap & BIT(shift)));
	return shift;
}

static void t_random_op(struct test_ctx *ctx, struct io_pgtable_ops *ops,
			const struct test_window *w)
{
	unsigned int op = rnd_below(ctx, 8), shift, s;
	unsigned long iova, last;
	size_t count;
	int i, want;

	if (op < 4 && ctx->nr_maps < MODEL_MAX) {
		shift = t_random_shift(ctx, w->max_shift);
		iova = w->base + (rnd_below(ctx, BIT(w->span - shift)) << shift);
		want = model_overlaps(ctx, iova, iova + BIT(shift) - 1) ?
		       -EEXIST : 0;
		if (__t_map(ctx, ops, iova, t_pa(ctx, shift), shift,
			    1 + rnd_below(ctx, RW)) != want)
			test_fail(ctx, __LINE__, "map at", iova, shift);
	} else if (op < 6 && ctx->nr_maps) {
		i = rnd_below(ctx, ctx->nr_maps);
		shift = ctx->maps[i].shift;
		s = shift - rnd_below(ctx, shift - 12 + 1);
		if (!t_unmap(ops, ctx->maps[i].iova, s, BIT(shift - s)))
			goto out;
	} else {
		shift = t_random_shift(ctx, w->max_shift);
		iova = w->base + (rnd_below(ctx, BIT(w->span - shift)) << shift);
		count = 1 + rnd_below(ctx, 4);
		if (check_add_overflow(iova, BIT(shift) * count - 1, &last))
			EXPECT_EQ(__t_unmap(ctx, ops, iova, shift, count), 0);
		else
			t_unmap(ops, iova, shift, count);
	}
out:
	return;
}

static void test_random_vs_model(struct test_ctx *ctx)
{
	struct io_pgtable_ops *ops = NULL;
	const struct test_window *w;
	unsigned int n, k;

	for (w = test_windows; w < test_windows + ARRAY_SIZE(test_windows); w++) {
		ops = t_new(ctx, w->levels);
		if (!EXPECT(ops))
			goto out;
		for (n = 0; n < random_ops; n++) {
			t_random_op(ctx, ops, w);
			if (!EXPECT(!ctx->failed))
				goto out;
			for (k = 0; k < 4 && ctx->nr_maps; k++) {
				int i = rnd_below(ctx, ctx->nr_maps);

				if (!EXPECT(t_probe(ctx, ops, ctx->maps[i].iova +
						    rnd_below(ctx, BIT(ctx->maps[i].shift)))))
					goto out;
			}
			if (!EXPECT(t_probe(ctx, ops, w->base +
					    rnd_below(ctx, BIT(w->span)))))
				goto out;
			if (n % 8 == 0)
				if (!EXPECT(t_check(ctx, ops)))
					goto out;
		}
		if (!EXPECT(t_check(ctx, ops)))
			goto out;
		while (ctx->nr_maps)
			if (!t_unmap(ops, ctx->maps[0].iova, ctx->maps[0].shift, 1))
				goto out;
		if (!EXPECT(t_check(ctx, ops)))
			goto out;
		if (!EXPECT_EQ(amdv1_pgtable_nr_tables(ops), 1))
			goto out;
		t_free(ops);
		ops = NULL;
	}
out:
	t_free(ops);
}

struct test_case {
	const char *name;
	void (*fn)(struct test_ctx *ctx);
};

static const struct test_case test_cases[] = {
	{ "every_size_every_level", test_every_size_every_level },
	{ "boundary_iovas", test_boundary_iovas },
	{ "depth_growth", test_depth_growth },
	{ "partial_unmap_refused", test_partial_unmap_refused },
	{ "unmap_stops_at_hole", test_unmap_stops_at_hole },
	{ "map_over_mapping_refused", test_map_over_mapping_refused },
	{ "invalid_arguments", test_invalid_arguments },
	{ "empty_tables_freed", test_empty_tables_freed },
	{ "random_vs_model", test_random_vs_model },
};

static unsigned int test_num;
static unsigned int test_failures;

static void test_report(struct test_ctx *ctx, const char *pass,
			const char *name)
{
	test_num++;
	if (ctx->failed)
		test_failures++;
	pr_info("amdv1_test: %sok %u %s%s\n", ctx->failed ? "not " : "",
		test_num, pass, name);
}

static void test_run(struct test_ctx *ctx, const struct test_case *tc,
		     u64 me_mask, const char *pass)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->rng = seed + test_num + 1;
	ctx->me_mask = me_mask;
	ctx->want_mask = me_mask ? me_mask : sme_me_mask;
	tc->fn(ctx);
	test_report(ctx, pass, tc->name);
}

static int __init amdv1_test_init(void)
{
	static const struct test_case sme_case = {
		"sme_iova_to_phys_strips_mask", test_sme_iova_to_phys_strips_mask
	};
	long live = amdv1_pgtable_live_tables();
	struct test_ctx *ctx;
	unsigned int i;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	pr_info("amdv1_test: seed 0x%llx, kernel sme_me_mask 0x%llx\n", seed,
		(unsigned long long)sme_me_mask);
	test_run(ctx, &sme_case, TEST_ME_MASK, "");
	for (i = 0; i < ARRAY_SIZE(test_cases); i++)
		test_run(ctx, &test_cases[i], 0, "kernel_mask.");
	for (i = 0; i < ARRAY_SIZE(test_cases); i++)
		test_run(ctx, &test_cases[i], TEST_ME_MASK, "test_mask.");

	memset(ctx, 0, sizeof(*ctx));
	if (amdv1_pgtable_live_tables() != live)
		test_fail(ctx, __LINE__, "live tables",
			  amdv1_pgtable_live_tables(), live);
	test_report(ctx, "", "no_table_left");
	kfree(ctx);
	return test_failures ? -EINVAL : 0;
}

static void __exit amdv1_test_exit(void)
{
}

module_init(amdv1_test_init);
module_exit(amdv1_test_exit);
MODULE_DESCRIPTION("Self-test of the AMD IOMMU v1 I/O page table");
MODULE_LICENSE("GPL");
