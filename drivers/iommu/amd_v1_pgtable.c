// SPDX-License-Identifier: GPL-2.0-only
/*
 * AMD IOMMU v1 (host) I/O page table: map, unmap and iova_to_phys.
 *
 * Reference: AMD I/O Virtualization Technology (IOMMU) Specification, #48882
 * rev 3.08, §2.2.3 "I/O Page Tables for Host Translations". Rules below cite
 * it as "spec §...".
 *
 * Words: a table at level L (1..6) holds 512 entries, each covering
 * 2^(12 + 9 * (L - 1)) bytes of IOVA; the root is at level "levels", which is
 * the device table entry's Mode. An entry is a PDE (points at a table one
 * level down) or a PTE (a leaf). "last" is inclusive.
 *
 * Invariants:
 *  - every physical address written into an entry carries the memory
 *    encryption mask, every address read back has it cleared: all of them go
 *    through amdv1_sme_set() and amdv1_sme_clr(), nothing else touches the
 *    address field;
 *  - a table below the root exists iff something is mapped through it:
 *    map allocates every table it needs before the first visible store, and
 *    unmap hands a table that became empty to the caller's gather list;
 *  - map never replaces a present entry (-EEXIST) and unmap never splits a
 *    leaf: asking to unmap part of one unmaps nothing more and stops.
 * Locking and lifetime: see amd_v1_pgtable.h.
 */
#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/mem_encrypt.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include <asm/barrier.h>

#include "amd_v1_pgtable.h"

/* spec §2.2.3: every table is one 4 KiB page of 512 8-byte entries */
#define AMDV1_PAGE_SHIFT	12
#define AMDV1_TABLE_SIZE	BIT(AMDV1_PAGE_SHIFT)
#define AMDV1_LEVEL_BITS	9
#define AMDV1_ENTRIES		BIT(AMDV1_LEVEL_BITS)

/* spec §2.2.3, PDE and PTE formats: fields shared by both */
#define AMDV1_PTE_PR		BIT_ULL(0)
#define AMDV1_PTE_NEXT_LEVEL	GENMASK_ULL(11, 9)
#define AMDV1_PTE_ADDR		GENMASK_ULL(51, 12)
#define AMDV1_PTE_IR		BIT_ULL(61)
#define AMDV1_PTE_IW		BIT_ULL(62)
/* spec §2.2.3, PTE format: Force Coherent, meaningful in leaves only */
#define AMDV1_PTE_FC		BIT_ULL(60)

/*
 * spec §2.2.3, Next Level: 0 is a PTE mapping the entry's whole span (4 KiB
 * in a level-1 table, 2 MiB in a level-2 table, ...); 1..6 is a PDE whose
 * table is at that level; 7 is a PTE whose page size is encoded in its
 * address (see amdv1_leaf_shift()).
 */
#define AMDV1_NL_LEAF		0
#define AMDV1_NL_SIZED		7

/* spec §2.2.3: the address field is 52 bits wide; IOVAs are 64 bits */
#define AMDV1_OAS		52
#define AMDV1_IAS		64

struct amdv1_pgtable {
	struct io_pgtable_ops ops;
	struct amdv1_pgtable_cfg cfg;
	u64 *root;
	unsigned int levels;
	/* OR-ed into every physical address written, cleared when read */
	u64 me_mask;
	/* physical addresses a leaf may map: below this */
	u64 pa_limit;
	/* tables reachable from the root, the root included */
	unsigned long nr_tables;
};

/* Table pages allocated by any table and not yet freed or released */
static atomic_long_t amdv1_live_tables = ATOMIC_LONG_INIT(0);

static struct amdv1_pgtable *amdv1_from_ops(struct io_pgtable_ops *ops)
{
	return container_of(ops, struct amdv1_pgtable, ops);
}

/* spec §2.2.3: shift of the span one entry of a level-L table covers */
static unsigned int amdv1_entry_shift(unsigned int level)
{
	return AMDV1_PAGE_SHIFT + AMDV1_LEVEL_BITS * (level - 1);
}

static unsigned int amdv1_index(unsigned int level, unsigned long iova)
{
	return (iova >> amdv1_entry_shift(level)) & (AMDV1_ENTRIES - 1);
}

/* Last IOVA a table of @levels levels translates */
static unsigned long amdv1_reach(unsigned int levels)
{
	unsigned int shift = amdv1_entry_shift(levels + 1);

	return shift >= BITS_PER_LONG ? ULONG_MAX : BIT(shift) - 1;
}

/* The table level holding a leaf of 2^@shift bytes */
static unsigned int amdv1_leaf_level(unsigned int shift)
{
	return (shift - AMDV1_PAGE_SHIFT) / AMDV1_LEVEL_BITS + 1;
}

static u64 amdv1_sme_set(struct amdv1_pgtable *pt, u64 pa)
{
	return pa | pt->me_mask;
}

static u64 amdv1_sme_clr(struct amdv1_pgtable *pt, u64 addr)
{
	return addr & ~pt->me_mask;
}

static bool amdv1_present(u64 pte)
{
	return pte & AMDV1_PTE_PR;
}

static bool amdv1_is_pde(u64 pte)
{
	unsigned int nl = FIELD_GET(AMDV1_PTE_NEXT_LEVEL, pte);

	return nl != AMDV1_NL_LEAF && nl != AMDV1_NL_SIZED;
}

/* The raw address field, as the IOMMU sees it (mask and size bits included) */
static u64 amdv1_pte_addr(u64 pte)
{
	return FIELD_GET(AMDV1_PTE_ADDR, pte) << AMDV1_PAGE_SHIFT;
}

static u64 *amdv1_pde_table(struct amdv1_pgtable *pt, u64 pde)
{
	return phys_to_virt(amdv1_sme_clr(pt, amdv1_pte_addr(pde)));
}

/* spec §2.2.3, PDE format: the IOMMU ANDs IR/IW down the walk, so PDEs allow both */
static u64 amdv1_make_pde(struct amdv1_pgtable *pt, u64 *table,
			  unsigned int table_level)
{
	u64 addr = amdv1_sme_set(pt, virt_to_phys(table));

	return AMDV1_PTE_PR | AMDV1_PTE_IR | AMDV1_PTE_IW |
	       FIELD_PREP(AMDV1_PTE_NEXT_LEVEL, table_level) |
	       FIELD_PREP(AMDV1_PTE_ADDR, addr >> AMDV1_PAGE_SHIFT);
}

/*
 * spec §2.2.3, "Page Size" with Next Level 7: a page of 2^n bytes has address
 * bits n-2..12 set and bit n-1 clear, and the PTE is repeated in every entry
 * the page covers. Address bits 11..0 are not stored, so 8 KiB (n = 13) sets
 * none. A page that fills the entry's span uses Next Level 0 instead.
 */
static u64 amdv1_make_leaf(struct amdv1_pgtable *pt, u64 pa, unsigned int shift,
			   int prot)
{
	unsigned int level = amdv1_leaf_level(shift);
	u64 addr = amdv1_sme_set(pt, pa);
	u64 pte = AMDV1_PTE_PR | AMDV1_PTE_FC;

	if (shift == amdv1_entry_shift(level)) {
		pte |= FIELD_PREP(AMDV1_PTE_NEXT_LEVEL, AMDV1_NL_LEAF);
	} else {
		pte |= FIELD_PREP(AMDV1_PTE_NEXT_LEVEL, AMDV1_NL_SIZED);
		addr |= (BIT_ULL(shift - 1) - 1) & AMDV1_PTE_ADDR;
	}
	pte |= FIELD_PREP(AMDV1_PTE_ADDR, addr >> AMDV1_PAGE_SHIFT);
	if (prot & IOMMU_READ)
		pte |= AMDV1_PTE_IR;
	if (prot & IOMMU_WRITE)
		pte |= AMDV1_PTE_IW;
	return pte;
}

/* Page size (as a shift) of the leaf @pte found in a level-@level table */
static unsigned int amdv1_leaf_shift(unsigned int level, u64 pte)
{
	u64 size_bits = FIELD_GET(AMDV1_PTE_ADDR, pte);

	if (FIELD_GET(AMDV1_PTE_NEXT_LEVEL, pte) == AMDV1_NL_LEAF)
		return amdv1_entry_shift(level);
	/* Next Level 7: one plus the number of trailing ones above bit 11 */
	return AMDV1_PAGE_SHIFT + 1 + __ffs64(~size_bits);
}

static u64 amdv1_leaf_pa(struct amdv1_pgtable *pt, u64 pte, unsigned int shift)
{
	return amdv1_sme_clr(pt, amdv1_pte_addr(pte)) & ~(BIT_ULL(shift) - 1);
}

static u64 *amdv1_table_alloc(struct amdv1_pgtable *pt, gfp_t gfp)
{
	u64 *table = (u64 *)get_zeroed_page(gfp);

	if (!table)
		return NULL;
	pt->nr_tables++;
	atomic_long_inc(&amdv1_live_tables);
	return table;
}

/* Free a table the IOMMU can no longer reach */
static void amdv1_table_free(struct amdv1_pgtable *pt, u64 *table)
{
	pt->nr_tables--;
	atomic_long_dec(&amdv1_live_tables);
	free_page((unsigned long)table);
}

/* Unlinked, but the IOTLB may still hold walks through it: the caller frees */
static void amdv1_table_gather(struct amdv1_pgtable *pt, u64 *table,
			       struct iommu_iotlb_gather *gather)
{
	pt->nr_tables--;
	list_add_tail(&virt_to_page(table)->lru, &gather->freelist);
}

static bool amdv1_table_empty(const u64 *table)
{
	unsigned int i;

	for (i = 0; i < AMDV1_ENTRIES; i++)
		if (READ_ONCE(table[i]))
			return false;
	return true;
}

static void amdv1_free_tree(struct amdv1_pgtable *pt, u64 *table,
			    unsigned int level)
{
	unsigned int i;

	for (i = 0; i < AMDV1_ENTRIES; i++) {
		if (amdv1_present(table[i]) && amdv1_is_pde(table[i]))
			amdv1_free_tree(pt, amdv1_pde_table(pt, table[i]),
					level - 1);
	}
	amdv1_table_free(pt, table);
}

static u64 amdv1_root_ptr(struct amdv1_pgtable *pt)
{
	return amdv1_sme_set(pt, virt_to_phys(pt->root));
}

/*
 * Add levels on top until @last is reachable and the root is at least at
 * @min_level (a leaf lives in a table of its own level). The old root becomes
 * entry 0 of the new one, unless it is empty: then it is freed once @set_root
 * has moved the device table entry away from it (nothing can be cached
 * through a table without present entries).
 */
static int amdv1_grow(struct amdv1_pgtable *pt, unsigned long last,
		      unsigned int min_level, gfp_t gfp)
{
	u64 *root, *old;

	while (last > amdv1_reach(pt->levels) || pt->levels < min_level) {
		if (WARN_ON_ONCE(pt->levels == AMDV1_MAX_LEVELS))
			return -EINVAL;
		root = amdv1_table_alloc(pt, gfp);
		if (!root)
			return -ENOMEM;
		old = pt->root;
		if (!amdv1_table_empty(old))
			root[0] = amdv1_make_pde(pt, old, pt->levels);
		pt->root = root;
		pt->levels++;
		if (pt->cfg.set_root)
			pt->cfg.set_root(pt->cfg.cookie, amdv1_root_ptr(pt),
					 pt->levels);
		if (!root[0])
			amdv1_table_free(pt, old);
	}
	return 0;
}

static int amdv1_fill_slots(u64 *slot, unsigned int count, u64 pte)
{
	unsigned int i;

	for (i = 0; i < count; i++)
		if (READ_ONCE(slot[i]))
			return -EEXIST;
	for (i = 0; i < count; i++)
		WRITE_ONCE(slot[i], pte);
	return 0;
}

/*
 * Install one leaf. The tables it needs are allocated and linked to each
 * other first; one store into an existing table then publishes them all.
 */
static int amdv1_map_one(struct amdv1_pgtable *pt, unsigned long iova,
			 u64 leaf, unsigned int leaf_level, unsigned int count,
			 gfp_t gfp)
{
	u64 *new[AMDV1_MAX_LEVELS] = {};
	unsigned int level = pt->levels;
	u64 *table = pt->root;
	unsigned int need, k;
	u64 *slot = NULL, pte;
	int ret;

	for (; level > leaf_level; level--) {
		slot = &table[amdv1_index(level, iova)];
		pte = READ_ONCE(*slot);
		if (!amdv1_present(pte))
			break;
		if (!amdv1_is_pde(pte))
			return -EEXIST;
		table = amdv1_pde_table(pt, pte);
	}
	if (level == leaf_level)
		return amdv1_fill_slots(&table[amdv1_index(level, iova)], count,
					leaf);

	/* new[k] will be the table at level - 1 - k */
	need = level - leaf_level;
	for (k = 0; k < need; k++) {
		new[k] = amdv1_table_alloc(pt, gfp);
		if (!new[k]) {
			ret = -ENOMEM;
			goto err_free_new;
		}
	}
	amdv1_fill_slots(&new[need - 1][amdv1_index(leaf_level, iova)], count,
			 leaf);
	for (k = 0; k + 1 < need; k++)
		new[k][amdv1_index(level - 1 - k, iova)] =
			amdv1_make_pde(pt, new[k + 1], level - 2 - k);
	/* The IOMMU must see the filled tables before the entry pointing at them */
	dma_wmb();
	WRITE_ONCE(*slot, amdv1_make_pde(pt, new[0], level - 1));
	return 0;

err_free_new:
	while (k--)
		amdv1_table_free(pt, new[k]);
	return ret;
}

static bool amdv1_pgsize_ok(struct amdv1_pgtable *pt, size_t pgsize)
{
	return is_power_of_2(pgsize) && (pgsize & pt->cfg.pgsize_bitmap);
}

static int amdv1_map_pages(struct io_pgtable_ops *ops, unsigned long iova,
			   phys_addr_t paddr, size_t pgsize, size_t pgcount,
			   int prot, gfp_t gfp, size_t *mapped)
{
	struct amdv1_pgtable *pt = amdv1_from_ops(ops);
	unsigned int shift, level, count;
	unsigned long last;
	u64 pa_last;
	size_t size;
	int ret;

	if (!amdv1_pgsize_ok(pt, pgsize) || !pgcount ||
	    !(prot & (IOMMU_READ | IOMMU_WRITE)) ||
	    !IS_ALIGNED(iova | paddr, pgsize))
		return -EINVAL;
	if (check_mul_overflow(pgsize, pgcount, &size) ||
	    check_add_overflow(iova, size - 1, &last) ||
	    check_add_overflow((u64)paddr, (u64)size - 1, &pa_last) ||
	    pa_last >= pt->pa_limit)
		return -EINVAL;

	shift = __ffs(pgsize);
	level = amdv1_leaf_level(shift);
	ret = amdv1_grow(pt, last, level, gfp);
	if (ret)
		return ret;

	count = BIT(shift - amdv1_entry_shift(level));
	for (; pgcount; pgcount--) {
		ret = amdv1_map_one(pt, iova,
				    amdv1_make_leaf(pt, paddr, shift, prot),
				    level, count, gfp);
		if (ret)
			return ret;
		if (mapped)
			*mapped += pgsize;
		iova += pgsize;
		paddr += pgsize;
	}
	return 0;
}

/*
 * Unmap [@iova, @last] within one table, whole leaves only. Stops (and sets
 * *@stop) at a hole or at a leaf that is not entirely inside the range.
 * Returns the bytes unmapped.
 */
static u64 amdv1_unmap_table(struct amdv1_pgtable *pt, u64 *table,
			     unsigned int level, unsigned long iova,
			     unsigned long last, struct iommu_iotlb_gather *gather,
			     bool *stop)
{
	unsigned long end;
	u64 done = 0;

	for (;;) {
		unsigned int idx = amdv1_index(level, iova);
		u64 pte = READ_ONCE(table[idx]);

		if (!amdv1_present(pte)) {
			*stop = true;
			break;
		}
		if (amdv1_is_pde(pte)) {
			u64 *child = amdv1_pde_table(pt, pte);

			end = min(last, iova | (BIT(amdv1_entry_shift(level)) - 1));
			done += amdv1_unmap_table(pt, child, level - 1, iova, end,
						  gather, stop);
			if (amdv1_table_empty(child)) {
				WRITE_ONCE(table[idx], 0);
				amdv1_table_gather(pt, child, gather);
			}
			if (*stop)
				break;
		} else {
			unsigned int shift = amdv1_leaf_shift(level, pte);
			unsigned long mask = BIT(shift) - 1;
			unsigned int count = BIT(shift - amdv1_entry_shift(level));
			unsigned int i;

			if ((iova & mask) || last - iova < mask) {
				*stop = true;
				break;
			}
			for (i = 0; i < count; i++)
				WRITE_ONCE(table[idx + i], 0);
			done += (u64)mask + 1;
			end = iova + mask;
		}
		if (end == last)
			break;
		iova = end + 1;
	}
	return done;
}

static size_t amdv1_unmap_pages(struct io_pgtable_ops *ops, unsigned long iova,
				size_t pgsize, size_t pgcount,
				struct iommu_iotlb_gather *gather)
{
	struct amdv1_pgtable *pt = amdv1_from_ops(ops);
	unsigned long last;
	bool stop = false;
	size_t size;
	u64 done;

	if (WARN_ON_ONCE(!gather))
		return 0;
	if (!amdv1_pgsize_ok(pt, pgsize) || !pgcount ||
	    !IS_ALIGNED(iova, pgsize) ||
	    check_mul_overflow(pgsize, pgcount, &size) ||
	    check_add_overflow(iova, size - 1, &last))
		return 0;
	if (iova > amdv1_reach(pt->levels))
		return 0;

	last = min(last, amdv1_reach(pt->levels));
	done = amdv1_unmap_table(pt, pt->root, pt->levels, iova, last, gather,
				 &stop);
	if (done)
		iommu_iotlb_gather_add_range(gather, iova, done);
	return done;
}

static phys_addr_t amdv1_iova_to_phys(struct io_pgtable_ops *ops,
				      unsigned long iova)
{
	struct amdv1_pgtable *pt = amdv1_from_ops(ops);
	unsigned int level = pt->levels;
	u64 *table = pt->root;
	unsigned int shift;
	u64 pte;

	if (iova > amdv1_reach(level))
		return 0;
	for (;;) {
		pte = READ_ONCE(table[amdv1_index(level, iova)]);
		if (!amdv1_present(pte))
			return 0;
		if (!amdv1_is_pde(pte))
			break;
		if (WARN_ON_ONCE(level == AMDV1_MIN_LEVELS))
			return 0;
		table = amdv1_pde_table(pt, pte);
		level--;
	}
	shift = amdv1_leaf_shift(level, pte);
	return amdv1_leaf_pa(pt, pte, shift) | (iova & (BIT_ULL(shift) - 1));
}

/* Page sizes whose encoding stays below the encryption bit */
static unsigned long amdv1_pgsize_bitmap(u64 me_mask)
{
	unsigned int top = me_mask ? __ffs64(me_mask) : AMDV1_OAS - 1;

	return GENMASK(min(top, AMDV1_OAS - 1), AMDV1_PAGE_SHIFT);
}

/**
 * amdv1_pgtable_alloc() - create an empty table
 * @cfg: depth and hooks in, capabilities out (see struct amdv1_pgtable_cfg)
 *
 * Return: the ops to drive the table, or an ERR_PTR(): -EINVAL for a depth
 * out of range or a mask that is not one bit of the address field, -ENOMEM.
 */
struct io_pgtable_ops *amdv1_pgtable_alloc(struct amdv1_pgtable_cfg *cfg)
{
	u64 me_mask = cfg->test_me_mask ? cfg->test_me_mask : sme_me_mask;
	struct amdv1_pgtable *pt;

	if (cfg->levels < AMDV1_MIN_LEVELS || cfg->levels > AMDV1_MAX_LEVELS)
		return ERR_PTR(-EINVAL);
	if (me_mask && (!is_power_of_2(me_mask) ||
			(me_mask & ~AMDV1_PTE_ADDR)))
		return ERR_PTR(-EINVAL);

	pt = kzalloc(sizeof(*pt), GFP_KERNEL);
	if (!pt)
		return ERR_PTR(-ENOMEM);
	pt->me_mask = me_mask;
	pt->pa_limit = me_mask ? me_mask : BIT_ULL(AMDV1_OAS);
	pt->levels = cfg->levels;
	pt->root = amdv1_table_alloc(pt, GFP_KERNEL);
	if (!pt->root) {
		kfree(pt);
		return ERR_PTR(-ENOMEM);
	}

	cfg->pgsize_bitmap = amdv1_pgsize_bitmap(me_mask);
	cfg->ias = AMDV1_IAS;
	cfg->oas = AMDV1_OAS;
	pt->cfg = *cfg;
	pt->ops.map_pages = amdv1_map_pages;
	pt->ops.unmap_pages = amdv1_unmap_pages;
	pt->ops.iova_to_phys = amdv1_iova_to_phys;
	return &pt->ops;
}
EXPORT_SYMBOL_GPL(amdv1_pgtable_alloc);

/**
 * amdv1_pgtable_free() - free a table and everything it maps through
 * @ops: from amdv1_pgtable_alloc()
 *
 * The IOMMU must no longer reach the table (device table entry cleared and
 * flushed). Pages on a gather list are not touched.
 */
void amdv1_pgtable_free(struct io_pgtable_ops *ops)
{
	struct amdv1_pgtable *pt = amdv1_from_ops(ops);

	amdv1_free_tree(pt, pt->root, pt->levels);
	WARN_ON_ONCE(pt->nr_tables);
	kfree(pt);
}
EXPORT_SYMBOL_GPL(amdv1_pgtable_free);

/**
 * amdv1_pgtable_root() - the root pointer and depth for the device table entry
 * @ops: from amdv1_pgtable_alloc()
 * @levels: out: the depth, the DTE Mode field
 *
 * Return: the root table's physical address with the encryption mask set,
 * ready for the DTE Page Table Root Pointer field.
 */
u64 amdv1_pgtable_root(struct io_pgtable_ops *ops, unsigned int *levels)
{
	struct amdv1_pgtable *pt = amdv1_from_ops(ops);

	*levels = pt->levels;
	return amdv1_root_ptr(pt);
}
EXPORT_SYMBOL_GPL(amdv1_pgtable_root);

/**
 * amdv1_pgtable_nr_tables() - how many table pages the IOMMU can reach
 * @ops: from amdv1_pgtable_alloc()
 *
 * Return: the number of tables reachable from the root, the root included.
 */
unsigned long amdv1_pgtable_nr_tables(struct io_pgtable_ops *ops)
{
	return amdv1_from_ops(ops)->nr_tables;
}
EXPORT_SYMBOL_GPL(amdv1_pgtable_nr_tables);

/**
 * amdv1_pgtable_gather_release() - free the tables unmap put on a gather list
 * @gather: a gather list filled only by unmap_pages() of these tables
 *
 * Call after the IOTLB flush covering the gathered range has completed.
 */
void amdv1_pgtable_gather_release(struct iommu_iotlb_gather *gather)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, &gather->freelist, lru) {
		list_del(&page->lru);
		atomic_long_dec(&amdv1_live_tables);
		__free_page(page);
	}
}
EXPORT_SYMBOL_GPL(amdv1_pgtable_gather_release);

/**
 * amdv1_pgtable_live_tables() - table pages allocated and not yet freed
 *
 * Counts every table of every amdv1 page table, gathered ones included, so a
 * test can check for leaks.
 *
 * Return: the number of live table pages.
 */
long amdv1_pgtable_live_tables(void)
{
	return atomic_long_read(&amdv1_live_tables);
}
EXPORT_SYMBOL_GPL(amdv1_pgtable_live_tables);

MODULE_DESCRIPTION("AMD IOMMU v1 I/O page table");
MODULE_LICENSE("GPL");
