/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private declarations of the type1 IOMMU backend (vfio_iommu_type1.ko).
 *
 * Objects:
 *  - struct type1_iommu: one per container (VFIO_SET_IOMMU), created by @open, freed by @release.
 *  - struct type1_dma: one per MAP_DMA, kept in the container's DMA tree sorted by IOVA.
 *  - struct type1_domain: one IOMMU domain, shared by the physical groups that can use it.
 *  - struct type1_group: one attached group, on a domain's list or on the emulated list.
 *  - struct type1_pin: one IOVA page pinned for a vendor driver (vfio_pin_pages()).
 *
 * Words: "last" is inclusive and "end" exclusive, so that a range may end at U64_MAX.
 *
 * Locking: iommu->lock protects every field of the container and of everything hanging
 * from it. iommu->device_list_lock protects device_list while it is walked without
 * iommu->lock (the dma_unmap callbacks call back into us). Lock order:
 * iommu->lock -> iommu->device_list_lock -> mmap_lock of a mapping task's mm.
 *
 * Layering (a file only calls the ones above it in this list):
 *   dma_tree.h, pin.c, dirty.c, domain.c -> map.c -> group.c, external.c, ioctl.c -> main.c
 */
#ifndef __VFIO_TYPE1_H__
#define __VFIO_TYPE1_H__

#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/types.h>
#include <linux/xarray.h>

#include "../vfio_iommu_backend.h"

struct vfio_bitmap;
struct vfio_iommu_type1_dma_map;
struct vfio_iommu_type1_dma_unmap;

/* Module parameters, defined in main.c */
extern bool type1_allow_unsafe_interrupts;
extern unsigned int type1_dma_entry_limit;
extern bool type1_disable_hugepages;

/*
 * One container.
 * @domain_list: type1_domain, the IOMMU domains of the physical groups
 * @emulated_groups: type1_group of emulated (mdev) groups
 * @iova_list: type1_iova, the IOVA ranges usable in every domain, sorted
 * @dma_tree: type1_dma by IOVA
 * @device_list: open vfio_devices with a dma_unmap callback
 * @dma_avail: MAP_DMA entries left before -ENOSPC
 * @vaddr_invalid_count: mappings whose vaddr was invalidated (VFIO_DMA_UNMAP_FLAG_VADDR)
 * @pgsize_bitmap: page sizes every domain supports (PAGE_MASK without domains)
 * @num_non_pinned_groups: groups that may write memory without pinning it
 * @dirty_bytes: memory held by the dirty bitmaps of every mapping
 * @last_owner: the owner of the mapping made last, for the next one (map.c), or NULL
 * @v2: VFIO_TYPE1v2_IOMMU semantics (unmap must not bisect a mapping)
 * @nesting: VFIO_TYPE1_NESTING_IOMMU
 * @dirty_tracking: VFIO_IOMMU_DIRTY_PAGES_FLAG_START is in effect
 */
struct type1_iommu {
	struct mutex lock;
	struct list_head domain_list;		/* protected by lock */
	struct list_head emulated_groups;	/* protected by lock */
	struct list_head iova_list;		/* protected by lock */
	struct rb_root dma_tree;		/* protected by lock */
	struct mutex device_list_lock;
	struct list_head device_list;		/* changed under lock and device_list_lock */
	unsigned int dma_avail;
	unsigned int vaddr_invalid_count;
	u64 pgsize_bitmap;
	u64 num_non_pinned_groups;
	size_t dirty_bytes;
	struct type1_owner *last_owner;
	bool v2;
	bool nesting;
	bool dirty_tracking;
};

/*
 * One user mapping.
 * @size: bytes of the mapping; grows while MAP_DMA pins and maps it
 * @iommu_mapped: the pages are pinned and mapped in every domain
 * @lock_cap: the mapping task had CAP_IPC_LOCK
 * @owner: the process that made the mapping (or gave it its vaddr last)
 * @pins: type1_pin by page index in the mapping, pages pinned for vendor drivers
 * @dirty: dirty page state while tracking is on (dirty.c)
 * @locked_vm: pages charged to the owner's mm by this mapping
 *
 * 96 bytes, a kmalloc-96 object: MAP_DMA of 4 KiB allocates one per call.
 */
struct type1_dma {
	struct rb_node node;
	dma_addr_t iova;
	unsigned long vaddr;
	size_t size;
	int prot;
	bool iommu_mapped;
	bool lock_cap;
	bool vaddr_invalid;
	struct type1_owner *owner;
	struct xarray pins;
	struct type1_dirty *dirty;
	size_t locked_vm;
};

/*
 * A mapping's dirty pages while tracking is on (dirty.c): @bits has one bit per page of
 * the container's smallest page size, @chunks one bit per page of @bits, set when one of
 * its bits may be. Two allocations: @bits is usually a power of two bytes, which a chunk
 * bitmap appended to it would double.
 */
struct type1_dirty {
	unsigned long *bits;
	unsigned long chunks[];
};

/*
 * The process that made mappings (map.c): its group leader, whose RLIMIT_MEMLOCK applies
 * to what they pin, and its mm (mmgrab'ed), where their vaddrs live and which they are
 * charged to. The mappings one process makes share it; @users counts them.
 */
struct type1_owner {
	struct task_struct *task;
	struct mm_struct *mm;
	unsigned int users;
};

/*
 * A page pinned through vfio_pin_pages(), counted per caller. @reserved is
 * type1_pfn_is_reserved() of @pfn, found once at pin time: such a page is neither unpinned
 * nor charged.
 */
struct type1_pin {
	unsigned long pfn;
	unsigned int refs;
	bool reserved;
};

struct type1_domain {
	struct iommu_domain *domain;
	struct list_head next;
	struct list_head group_list;
	bool enforce_cache_coherency;
};

struct type1_group {
	struct iommu_group *iommu_group;
	struct list_head next;
	bool pinned_page_dirty_scope;
};

struct type1_iova {
	struct list_head list;
	dma_addr_t start;
	dma_addr_t last;
};

static inline dma_addr_t type1_dma_last(const struct type1_dma *dma)
{
	return dma->iova + dma->size - 1;
}

static inline size_t type1_pgsize(const struct type1_iommu *iommu)
{
	return (size_t)1 << __ffs(iommu->pgsize_bitmap);
}

/**
 * type1_iova_valid() - may [@start, @last] be mapped
 * @iommu: the container
 * @start: first IOVA
 * @last: last IOVA, inclusive
 *
 * Return: true if one usable range holds it, or if there are no ranges (no physical group
 *         was ever attached).
 */
static inline bool type1_iova_valid(struct type1_iommu *iommu, dma_addr_t start,
				    dma_addr_t last)
{
	struct type1_iova *r;

	list_for_each_entry(r, &iommu->iova_list, list)
		if (start >= r->start && last <= r->last)
			return true;
	return list_empty(&iommu->iova_list);
}

#include "dma_tree.h"

/* pin.c */
bool type1_pfn_is_reserved(unsigned long pfn);
int type1_mm_acct(struct task_struct *task, struct mm_struct *mm, bool lock_cap,
		  long npage);
int type1_lock_acct(struct type1_dma *dma, long npage, bool async);
void type1_unpin_pfns(struct type1_dma *dma, unsigned long pfn, long npage);
int type1_pin_map(struct type1_dma *dma, dma_addr_t iova, long npage,
		  int (*map)(void *arg, struct type1_dma *dma, dma_addr_t iova,
			     unsigned long pfn, long npage),
		  void *arg, long *mapped);
long type1_pins_in_range(struct type1_dma *dma, dma_addr_t iova, long npage);
long type1_pin_external_run(struct type1_dma *dma, dma_addr_t iova, long npage, bool acct,
			    struct page **pages);
long type1_unpin_external(struct type1_dma *dma, dma_addr_t iova, long npage);

/* dirty.c */
#define TYPE1_DIRTY_BITMAP_BYTES(n)	(ALIGN((u64)(n), BITS_PER_TYPE(u64)) / BITS_PER_BYTE)
/* bitmap_set() takes an int: at most INT_MAX pages (8 TiB of 4 KiB pages) per mapping */
#define TYPE1_DIRTY_PAGES_MAX		((u64)INT_MAX)
#define TYPE1_DIRTY_SIZE_MAX		TYPE1_DIRTY_BITMAP_BYTES(TYPE1_DIRTY_PAGES_MAX)

int type1_dirty_alloc(struct type1_iommu *iommu, struct type1_dma *dma);
void type1_dirty_free(struct type1_iommu *iommu, struct type1_dma *dma);
int type1_dirty_start(struct type1_iommu *iommu);
void type1_dirty_stop(struct type1_iommu *iommu);
void type1_dirty_mark(struct type1_iommu *iommu, struct type1_dma *dma,
		      dma_addr_t iova, size_t len);
int type1_dirty_report(struct type1_iommu *iommu, struct type1_dma *dma,
		       u64 __user *bitmap, dma_addr_t base_iova);
int type1_dirty_get(struct type1_iommu *iommu, u64 __user *bitmap,
		    dma_addr_t iova, u64 size);
void type1_dirty_mark_all(struct type1_iommu *iommu);
int type1_dirty_check_size(u64 npages, u64 bitmap_size);

/* domain.c */
int type1_domains_map(struct type1_iommu *iommu, struct type1_dma *dma, size_t size);
void type1_domains_unmap(struct type1_iommu *iommu, struct type1_dma *dma);
void type1_update_pgsize_bitmap(struct type1_iommu *iommu);
int type1_domain_attach(struct type1_iommu *iommu, struct type1_group *group);
void type1_domain_free(struct type1_iommu *iommu, struct type1_domain *domain);
void type1_iova_refresh(struct type1_iommu *iommu);
struct type1_group *type1_domain_find_group(struct type1_domain *domain,
					    struct iommu_group *iommu_group);
void type1_iova_free(struct list_head *iova);

/* map.c */
int type1_dma_map(struct type1_iommu *iommu, struct vfio_iommu_type1_dma_map *map);
int type1_dma_unmap(struct type1_iommu *iommu,
		    struct vfio_iommu_type1_dma_unmap *unmap,
		    struct vfio_bitmap *bitmap);
void type1_dma_remove(struct type1_iommu *iommu, struct type1_dma *dma);
void type1_dma_remove_all(struct type1_iommu *iommu);
void type1_dma_unpin_all(struct type1_iommu *iommu);

/* group.c */
int type1_attach_group(void *iommu_data, struct iommu_group *iommu_group,
		       enum vfio_group_type type);
void type1_detach_group(void *iommu_data, struct iommu_group *iommu_group);
struct type1_group *type1_find_group(struct type1_iommu *iommu,
				     struct iommu_group *iommu_group);
struct iommu_domain *type1_group_iommu_domain(void *iommu_data,
					      struct iommu_group *iommu_group);

/* external.c */
int type1_pin_pages(void *iommu_data, struct iommu_group *iommu_group,
		    dma_addr_t user_iova, int npage, int prot, struct page **pages);
void type1_unpin_pages(void *iommu_data, dma_addr_t user_iova, int npage);
int type1_dma_rw(void *iommu_data, dma_addr_t user_iova, void *data,
		 size_t count, bool write);
void type1_register_device(void *iommu_data, struct vfio_device *vdev);
void type1_unregister_device(void *iommu_data, struct vfio_device *vdev);

/* ioctl.c */
long type1_ioctl(void *iommu_data, unsigned int cmd, unsigned long arg);

#endif /* __VFIO_TYPE1_H__ */
