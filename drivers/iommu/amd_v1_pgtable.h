/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * AMD IOMMU v1 (host) I/O page table: the interface an IOMMU driver uses.
 *
 * A table is driven through the kernel's struct io_pgtable_ops (map_pages,
 * unmap_pages, iova_to_phys), so a driver that already speaks io-pgtable can
 * use it unchanged. The functions below are what io-pgtable has no slot for:
 * creating and freeing a table, the root pointer for the device table entry,
 * and releasing the table pages an unmap has collected.
 *
 * Lifetime: a table lives from amdv1_pgtable_alloc() to amdv1_pgtable_free().
 * Table pages emptied by an unmap are moved to the caller's gather list and
 * stay allocated until the caller has flushed the IOTLB and called
 * amdv1_pgtable_gather_release().
 * Locking: none inside. The caller serializes every call on one table (the
 * domain lock); tables are never shared between two struct amdv1_pgtable.
 */
#ifndef AMD_V1_PGTABLE_H
#define AMD_V1_PGTABLE_H

#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include <linux/types.h>

/* Depths the format defines: the DTE Mode field, 1 to 6 levels */
#define AMDV1_MIN_LEVELS	1
#define AMDV1_MAX_LEVELS	6

/**
 * struct amdv1_pgtable_cfg - how to build a table, and what it then offers
 * @levels: in: initial depth, AMDV1_MIN_LEVELS..AMDV1_MAX_LEVELS. The table
 *	grows (never shrinks) when an IOVA beyond its reach is mapped.
 * @test_me_mask: in: test hook. Zero in production: the memory-encryption
 *	mask is then the kernel's sme_me_mask. Non-zero: used instead, so the
 *	SME rules can be exercised on a machine without SME. Must be one bit
 *	inside the PTE address field.
 * @set_root: in, optional: called after the table grew, with the new root
 *	pointer (as amdv1_pgtable_root() returns it) and depth. The new levels
 *	are only used by the mapping being made once this returns, so the
 *	driver updates and flushes the device table entry here.
 * @cookie: in: passed to @set_root.
 * @pgsize_bitmap: out: page sizes map_pages() accepts.
 * @ias: out: input (IOVA) address bits.
 * @oas: out: output (physical) address bits.
 */
struct amdv1_pgtable_cfg {
	unsigned int levels;
	u64 test_me_mask;
	void (*set_root)(void *cookie, u64 root, unsigned int levels);
	void *cookie;
	unsigned long pgsize_bitmap;
	unsigned int ias;
	unsigned int oas;
};

struct io_pgtable_ops *amdv1_pgtable_alloc(struct amdv1_pgtable_cfg *cfg);
void amdv1_pgtable_free(struct io_pgtable_ops *ops);
u64 amdv1_pgtable_root(struct io_pgtable_ops *ops, unsigned int *levels);
unsigned long amdv1_pgtable_nr_tables(struct io_pgtable_ops *ops);
void amdv1_pgtable_gather_release(struct iommu_iotlb_gather *gather);
long amdv1_pgtable_live_tables(void);

#endif /* AMD_V1_PGTABLE_H */
