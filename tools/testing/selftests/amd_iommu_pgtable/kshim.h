/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Thin userspace stand-in for the kernel APIs that drivers/iommu/amd_v1_pgtable.c
 * and its self-test use, so the very same source files build as a host
 * program and run under valgrind. Every kernel header they include resolves
 * to this one file (the Makefile generates one-line stubs).
 *
 * Table pages come from posix_memalign() so valgrind sees every leak,
 * double free and use after free; a small hash maps them to their struct page.
 * "Physical" addresses are the virtual ones. The shim's globals (that hash,
 * sme_me_mask, the module's init and exit) and main() live in kshim.c.
 */
#ifndef KSHIM_H
#define KSHIM_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;
typedef u64 phys_addr_t;
typedef unsigned int gfp_t;

#define GFP_KERNEL		0u
#define BITS_PER_LONG		64
#define BIT(nr)			(1UL << (nr))
#define BIT_ULL(nr)		(1ULL << (nr))
#define GENMASK(h, l)		((~0UL >> (BITS_PER_LONG - 1 - (h))) & (~0UL << (l)))
#define GENMASK_ULL(h, l)	((~0ULL >> (63 - (h))) & (~0ULL << (l)))
#define FIELD_PREP(mask, val)	((((u64)(val)) << __builtin_ctzll(mask)) & (mask))
#define FIELD_GET(mask, reg)	((((u64)(reg)) & (mask)) >> __builtin_ctzll(mask))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define IS_ALIGNED(x, a)	(((x) & ((typeof(x))(a) - 1)) == 0)
#define min(a, b)		((a) < (b) ? (a) : (b))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
/* one untorn access the compiler may not merge, split or drop: a relaxed atomic */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define dma_wmb()		__atomic_thread_fence(__ATOMIC_RELEASE)
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)
#define WARN_ON_ONCE(c)		({ bool __c = (c); if (__c) fprintf(stderr, "WARNING at %s:%d\n", __FILE__, __LINE__); __c; })
#define pr_info(...)		printf(__VA_ARGS__)
#define pr_err(...)		printf(__VA_ARGS__)
#define __init
#define __exit
#define EXPORT_SYMBOL_GPL(s)
#define MODULE_LICENSE(s)
#define MODULE_DESCRIPTION(s)
#define MODULE_PARM_DESC(n, s)
#define module_param(n, t, p)
/* the module's init and exit, called by main() in kshim.c */
extern int (*shim_module_init)(void);
extern void (*shim_module_exit)(void);
#define module_init(fn)		int (*shim_module_init)(void) = fn
#define module_exit(fn)		void (*shim_module_exit)(void) = fn

static inline unsigned long __ffs(unsigned long x) { return __builtin_ctzl(x); }
static inline unsigned long __ffs64(u64 x) { return __builtin_ctzll(x); }
static inline bool is_power_of_2(unsigned long n) { return n && !(n & (n - 1)); }

static inline void *ERR_PTR(long err) { return (void *)err; }
static inline long PTR_ERR(const void *p) { return (long)p; }
static inline bool IS_ERR(const void *p) { return (unsigned long)p >= (unsigned long)-4095; }

/* lists */
struct list_head { struct list_head *next, *prev; };
#define LIST_HEAD_INIT(n)	{ &(n), &(n) }
static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}
static inline void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}
#define list_entry(p, t, m)	container_of(p, t, m)
#define list_for_each_entry(pos, head, m) \
	for (pos = list_entry((head)->next, typeof(*pos), m); \
	     &pos->m != (head); pos = list_entry(pos->m.next, typeof(*pos), m))
#define list_for_each_entry_safe(pos, n, head, m) \
	for (pos = list_entry((head)->next, typeof(*pos), m), \
	     n = list_entry(pos->m.next, typeof(*pos), m); &pos->m != (head); \
	     pos = n, n = list_entry(n->m.next, typeof(*n), m))

/* atomics: the tests are single-threaded */
typedef struct { long counter; } atomic_long_t;
#define ATOMIC_LONG_INIT(i)	{ (i) }
static inline void atomic_long_inc(atomic_long_t *v) { v->counter++; }
static inline void atomic_long_dec(atomic_long_t *v) { v->counter--; }
static inline long atomic_long_read(const atomic_long_t *v) { return v->counter; }

/* memory */
static inline void *kzalloc(size_t n, gfp_t gfp) { (void)gfp; return calloc(1, n); }
static inline void *kmalloc_array(size_t n, size_t s, gfp_t gfp) { (void)gfp; return calloc(n, s); }
static inline void kfree(const void *p) { free((void *)p); }
static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *), void *swap)
{
	(void)swap;
	qsort(base, num, size, cmp);
}

#define SHIM_PAGE_SIZE		4096UL
#define SHIM_PAGE_BUCKETS	1024
struct page {
	struct list_head lru;
	void *virt;
	struct page *hnext;
};
extern struct page *shim_page_hash[SHIM_PAGE_BUCKETS];

static inline struct page **shim_bucket(const void *virt)
{
	return &shim_page_hash[((uintptr_t)virt / SHIM_PAGE_SIZE) % SHIM_PAGE_BUCKETS];
}
static inline struct page *virt_to_page(const void *virt)
{
	struct page *p;

	for (p = *shim_bucket(virt); p; p = p->hnext)
		if (p->virt == virt)
			return p;
	fprintf(stderr, "%s: %p is not a page\n", __func__, virt);
	abort();
}
static inline unsigned long get_zeroed_page(gfp_t gfp)
{
	struct page *p = calloc(1, sizeof(*p));
	void *virt = NULL;

	(void)gfp;
	if (!p || posix_memalign(&virt, SHIM_PAGE_SIZE, SHIM_PAGE_SIZE)) {
		free(p);
		return 0;
	}
	memset(virt, 0, SHIM_PAGE_SIZE);
	p->virt = virt;
	p->hnext = *shim_bucket(virt);
	*shim_bucket(virt) = p;
	return (unsigned long)virt;
}
static inline void __free_page(struct page *page)
{
	struct page **pp = shim_bucket(page->virt);

	while (*pp != page)
		pp = &(*pp)->hnext;
	*pp = page->hnext;
	free(page->virt);
	free(page);
}
static inline void free_page(unsigned long addr)
{
	__free_page(virt_to_page((void *)addr));
}
static inline phys_addr_t virt_to_phys(const void *v) { return (uintptr_t)v; }
static inline void *phys_to_virt(phys_addr_t pa) { return (void *)(uintptr_t)pa; }

/* SME: the kernel's mask, zero here as on a machine without SME */
extern u64 sme_me_mask;

/* include/linux/iommu.h and io-pgtable.h, the parts used */
#define IOMMU_READ		(1 << 0)
#define IOMMU_WRITE		(1 << 1)
struct iommu_iotlb_gather {
	unsigned long start;
	unsigned long end;
	size_t pgsize;
	struct list_head freelist;
	bool queued;
};
static inline void iommu_iotlb_gather_init(struct iommu_iotlb_gather *g)
{
	*g = (struct iommu_iotlb_gather){ .start = ULONG_MAX };
	g->freelist.next = &g->freelist;
	g->freelist.prev = &g->freelist;
}
static inline void iommu_iotlb_gather_add_range(struct iommu_iotlb_gather *g,
						unsigned long iova, size_t size)
{
	unsigned long end = iova + size - 1;

	if (g->start > iova)
		g->start = iova;
	if (g->end < end)
		g->end = end;
}
struct io_pgtable_ops {
	int (*map)(struct io_pgtable_ops *ops, unsigned long iova,
		   phys_addr_t paddr, size_t size, int prot, gfp_t gfp);
	int (*map_pages)(struct io_pgtable_ops *ops, unsigned long iova,
			 phys_addr_t paddr, size_t pgsize, size_t pgcount,
			 int prot, gfp_t gfp, size_t *mapped);
	size_t (*unmap)(struct io_pgtable_ops *ops, unsigned long iova,
			size_t size, struct iommu_iotlb_gather *gather);
	size_t (*unmap_pages)(struct io_pgtable_ops *ops, unsigned long iova,
			      size_t pgsize, size_t pgcount,
			      struct iommu_iotlb_gather *gather);
	phys_addr_t (*iova_to_phys)(struct io_pgtable_ops *ops,
				    unsigned long iova);
};

#endif /* KSHIM_H */
