// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU domains of a type1 container and the IOVA ranges they allow.
 *
 * Every mapping of a container with domains is pinned once and mapped in every domain
 * (dma->iommu_mapped). The IOMMU page table of the first domain is the only record of which
 * pages back a mapping: unmapping reads it back with iommu_iova_to_phys(), strips the
 * memory-encryption mask (__sme_clr()) so the result is a plain physical address, and
 * unpins physically contiguous runs at once. A new domain gets every mapping replayed
 * into it: copied from the first domain when the pages are pinned already, pinned now when
 * the container only had emulated groups before.
 * iova_list is the intersection of the domains' apertures minus the reserved regions of
 * the attached groups; it is empty while no physical group was ever attached.
 * Locking: everything here runs under iommu->lock.
 */
#include <linux/irqdomain.h>
#include <linux/mem_encrypt.h>
#include <linux/slab.h>

#include "type1.h"

/* IOTLB syncs are batched over this many unmapped runs before their pages are unpinned. */
#define TYPE1_UNMAP_BATCH	256

struct type1_region {
	dma_addr_t iova;
	phys_addr_t phys;
	size_t len;
};

/* Runs unmapped from a domain whose pages wait for the IOTLB sync before being unpinned. */
struct type1_unmap_ctx {
	struct type1_dma *dma;
	struct iommu_domain *domain;
	struct iommu_iotlb_gather gather;
	struct type1_region *regions;
	int nr;
	int max;
	long unlocked;
	struct type1_region fallback[2];
};

static void type1_unmap_sync(struct type1_unmap_ctx *ctx)
{
	int i;

	if (!ctx->nr)
		return;
	iommu_iotlb_sync(ctx->domain, &ctx->gather);
	for (i = 0; i < ctx->nr; i++) {
		struct type1_region *r = &ctx->regions[i];
		long npage = r->len >> PAGE_SHIFT;
		unsigned long pfn = PHYS_PFN(r->phys), p;

		for (p = pfn; p < pfn + npage; p++)
			if (!type1_pfn_is_reserved(p))
				ctx->unlocked++;
		ctx->unlocked -= type1_pins_in_range(ctx->dma, r->iova, npage);
		type1_unpin_pfns(ctx->dma, pfn, npage);
	}
	ctx->nr = 0;
	cond_resched();
}

/* Length of the physically contiguous run mapped at @iova, at most up to @end. */
static size_t type1_phys_run(struct iommu_domain *domain, dma_addr_t iova,
			     dma_addr_t end, phys_addr_t phys)
{
	size_t len = PAGE_SIZE;

	while (iova + len < end &&
	       __sme_clr(iommu_iova_to_phys(domain, iova + len)) == phys + len)
		len += PAGE_SIZE;
	return len;
}

/*
 * Unmap [iova, end) of @dma from @domain and unpin its pages, in physically contiguous
 * runs found in the domain's page table.
 * Return: pages unpinned that were charged by the mapping pin.
 */
static long type1_unmap_unpin(struct type1_dma *dma, struct iommu_domain *domain,
			      dma_addr_t iova, dma_addr_t end)
{
	struct type1_unmap_ctx ctx = { .dma = dma, .domain = domain };

	ctx.regions = kmalloc_array(TYPE1_UNMAP_BATCH, sizeof(*ctx.regions),
				    GFP_KERNEL | __GFP_NOWARN);
	ctx.max = TYPE1_UNMAP_BATCH;
	if (!ctx.regions) {
		ctx.regions = ctx.fallback;
		ctx.max = ARRAY_SIZE(ctx.fallback);
	}
	iommu_iotlb_gather_init(&ctx.gather);

	while (iova < end) {
		phys_addr_t phys = __sme_clr(iommu_iova_to_phys(domain, iova));
		struct type1_region *r;
		size_t len, unmapped;

		if (WARN_ON_ONCE(!phys)) {
			iova += PAGE_SIZE;
			continue;
		}
		len = type1_phys_run(domain, iova, end, phys);
		unmapped = iommu_unmap_fast(domain, iova, len, &ctx.gather);
		if (WARN_ON_ONCE(!unmapped))
			break;
		r = &ctx.regions[ctx.nr++];
		r->iova = iova;
		r->phys = phys;
		r->len = unmapped;
		iova += unmapped;
		if (ctx.nr == ctx.max)
			type1_unmap_sync(&ctx);
	}
	type1_unmap_sync(&ctx);

	if (ctx.regions != ctx.fallback)
		kfree(ctx.regions);
	return ctx.unlocked;
}

static struct type1_domain *type1_first_domain(struct type1_iommu *iommu)
{
	return list_first_entry_or_null(&iommu->domain_list, struct type1_domain, next);
}

/**
 * type1_domains_unmap() - unmap a mapping from every domain, unpin and uncharge its pages
 * @iommu: the container
 * @dma: the mapping, pinned and mapped in every domain over [iova, iova + size)
 *
 * Pages also pinned for vendor drivers stay pinned by them and stay charged.
 */
void type1_domains_unmap(struct type1_iommu *iommu, struct type1_dma *dma)
{
	struct type1_domain *first = type1_first_domain(iommu), *d = first;

	lockdep_assert_held(&iommu->lock);
	if (!dma->size || !first || !dma->iommu_mapped)
		return;

	list_for_each_entry_continue(d, &iommu->domain_list, next) {
		iommu_unmap(d->domain, dma->iova, dma->size);
		cond_resched();
	}
	type1_lock_acct(dma, -type1_unmap_unpin(dma, first->domain, dma->iova,
						dma->iova + dma->size), true);
	dma->iommu_mapped = false;
}

/* type1_pin_map() callback: map one run into every domain of the container. */
static int type1_map_all(void *arg, struct type1_dma *dma, dma_addr_t iova,
			 unsigned long pfn, long npage)
{
	struct type1_iommu *iommu = arg;
	size_t len = npage << PAGE_SHIFT;
	struct type1_domain *d;
	int ret;

	list_for_each_entry(d, &iommu->domain_list, next) {
		ret = iommu_map(d->domain, iova, PFN_PHYS(pfn), len,
				IOMMU_CACHE | dma->prot);
		if (ret)
			goto err_unmap;
	}
	return 0;

err_unmap:
	list_for_each_entry_continue_reverse(d, &iommu->domain_list, next)
		iommu_unmap(d->domain, iova, len);
	return ret;
}

/**
 * type1_domains_map() - pin a new mapping and map it into every domain
 * @iommu: the container, with at least one domain
 * @dma: the mapping, linked with size 0
 * @size: bytes to pin and map
 *
 * dma->size grows to what was mapped, also on failure, for type1_dma_remove() to undo.
 *
 * Return: 0 or -errno.
 */
int type1_domains_map(struct type1_iommu *iommu, struct type1_dma *dma, size_t size)
{
	long mapped;
	int ret;

	lockdep_assert_held(&iommu->lock);
	ret = type1_pin_map(dma, dma->iova, size >> PAGE_SHIFT, type1_map_all,
			    iommu, &mapped);
	dma->size = mapped << PAGE_SHIFT;
	dma->iommu_mapped = true;
	return ret;
}

/* type1_pin_map() callback: map one run into the domain being replayed into. */
static int type1_map_one(void *arg, struct type1_dma *dma, dma_addr_t iova,
			 unsigned long pfn, long npage)
{
	struct iommu_domain *domain = arg;

	return iommu_map(domain, iova, PFN_PHYS(pfn), npage << PAGE_SHIFT,
			 IOMMU_CACHE | dma->prot);
}

/* Copy a pinned mapping from domain @from into @to, run by run. */
static int type1_domain_copy(struct type1_dma *dma, struct iommu_domain *from,
			     struct iommu_domain *to)
{
	dma_addr_t iova = dma->iova, end = dma->iova + dma->size;

	while (iova < end) {
		phys_addr_t phys = __sme_clr(iommu_iova_to_phys(from, iova));
		size_t len;
		int ret;

		if (WARN_ON_ONCE(!phys)) {
			iova += PAGE_SIZE;
			continue;
		}
		len = type1_phys_run(from, iova, end, phys);
		ret = iommu_map(to, iova, phys, len, IOMMU_CACHE | dma->prot);
		if (ret) {
			iommu_unmap(to, dma->iova, iova - dma->iova);
			return ret;
		}
		iova += len;
		cond_resched();
	}
	return 0;
}

/* Undo the replay of @dma into @domain, of the first @size bytes. */
static void type1_unreplay_dma(struct type1_dma *dma, struct iommu_domain *domain,
			       size_t size)
{
	if (dma->iommu_mapped) {
		iommu_unmap(domain, dma->iova, size);
		return;
	}
	type1_lock_acct(dma, -type1_unmap_unpin(dma, domain, dma->iova,
						dma->iova + size), true);
}

/**
 * type1_domain_replay() - map every mapping of the container into a new domain
 * @iommu: the container
 * @domain: the new domain, not yet on domain_list
 *
 * On failure the new domain is left empty and nothing stays pinned for it.
 *
 * Return: 0 or -errno.
 */
static int type1_domain_replay(struct type1_iommu *iommu, struct type1_domain *domain)
{
	struct type1_domain *first = type1_first_domain(iommu);
	struct type1_dma *dma, *undo;
	size_t done = 0;
	int ret = 0;

	lockdep_assert_held(&iommu->lock);
	type1_for_each_dma(dma, iommu) {
		long mapped;

		if (dma->iommu_mapped) {
			if (WARN_ON_ONCE(!first)) {
				ret = -EINVAL;
				break;
			}
			ret = type1_domain_copy(dma, first->domain, domain->domain);
			if (ret)
				break;
			continue;
		}
		ret = type1_pin_map(dma, dma->iova, dma->size >> PAGE_SHIFT,
				    type1_map_one, domain->domain, &mapped);
		done = mapped << PAGE_SHIFT;
		if (ret)
			break;
	}
	if (!ret) {
		type1_for_each_dma(dma, iommu)
			dma->iommu_mapped = true;
		return 0;
	}

	/* @dma failed with @done bytes of it pinned and mapped; undo it and those before */
	if (dma && !dma->iommu_mapped && done)
		type1_unreplay_dma(dma, domain->domain, done);
	type1_for_each_dma(undo, iommu) {
		if (undo == dma)
			break;
		type1_unreplay_dma(undo, domain->domain, undo->size);
	}
	return ret;
}

/**
 * type1_update_pgsize_bitmap() - the page sizes every domain supports
 * @iommu: the container
 *
 * Sizes below PAGE_SIZE are hidden and PAGE_SIZE advertised instead: pinning works in
 * pages and the IOMMU driver may use smaller ones underneath.
 */
void type1_update_pgsize_bitmap(struct type1_iommu *iommu)
{
	struct type1_domain *d;

	iommu->pgsize_bitmap = ULONG_MAX;
	list_for_each_entry(d, &iommu->domain_list, next)
		iommu->pgsize_bitmap &= d->domain->pgsize_bitmap;

	if (iommu->pgsize_bitmap & ~PAGE_MASK) {
		iommu->pgsize_bitmap &= PAGE_MASK;
		iommu->pgsize_bitmap |= PAGE_SIZE;
	}
}

/**
 * type1_domain_find_group() - the entry of a group attached to a domain
 * @domain: the domain
 * @iommu_group: the group
 *
 * Return: the entry or NULL.
 */
struct type1_group *type1_domain_find_group(struct type1_domain *domain,
					    struct iommu_group *iommu_group)
{
	struct type1_group *g;

	list_for_each_entry(g, &domain->group_list, next)
		if (g->iommu_group == iommu_group)
			return g;
	return NULL;
}

/* IOVA ranges */

static int type1_iova_add(struct list_head *head, dma_addr_t start, dma_addr_t last)
{
	struct type1_iova *r = kmalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);

	if (!r)
		return -ENOMEM;
	r->start = start;
	r->last = last;
	list_add_tail(&r->list, head);
	return 0;
}

/**
 * type1_iova_free() - free a list of IOVA ranges
 * @iova: the list
 */
void type1_iova_free(struct list_head *iova)
{
	struct type1_iova *r, *next;

	list_for_each_entry_safe(r, next, iova, list) {
		list_del(&r->list);
		kfree(r);
	}
}

/* Remove [start, last] from a sorted list of ranges. */
static int type1_iova_exclude(struct list_head *iova, dma_addr_t start, dma_addr_t last)
{
	struct type1_iova *r, *next;
	int ret;

	list_for_each_entry_safe(r, next, iova, list) {
		if (start > r->last || last < r->start)
			continue;
		if (start > r->start) {
			ret = type1_iova_add(&r->list, r->start, start - 1);
			if (ret)
				return ret;
		}
		if (last < r->last) {
			ret = type1_iova_add(&r->list, last + 1, r->last);
			if (ret)
				return ret;
		}
		list_del(&r->list);
		kfree(r);
	}
	return 0;
}

/* @iova becomes [start, last] minus the reserved regions in @resv. */
static int type1_iova_build(struct list_head *iova, dma_addr_t start, dma_addr_t last,
			    struct list_head *resv)
{
	struct iommu_resv_region *region;
	int ret;

	ret = type1_iova_add(iova, start, last);
	list_for_each_entry(region, resv, list) {
		if (ret)
			break;
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		ret = type1_iova_exclude(iova, region->start,
					 region->start + region->length - 1);
	}
	if (!ret && list_empty(iova))
		ret = -EINVAL;
	if (ret)
		type1_iova_free(iova);
	return ret;
}

static void type1_resv_free(struct list_head *resv)
{
	struct iommu_resv_region *r, *next;

	list_for_each_entry_safe(r, next, resv, list) {
		list_del(&r->list);
		kfree(r);
	}
}

/* The intersection of the apertures of every domain (and @extra if not NULL). */
static void type1_aperture(struct type1_iommu *iommu, struct iommu_domain *extra,
			   dma_addr_t *start, dma_addr_t *last)
{
	struct type1_domain *d;

	*start = extra ? extra->geometry.aperture_start : 0;
	*last = extra ? extra->geometry.aperture_end : DMA_BIT_MASK(64);
	list_for_each_entry(d, &iommu->domain_list, next) {
		*start = max(*start, d->domain->geometry.aperture_start);
		*last = min(*last, d->domain->geometry.aperture_end);
	}
}

/* Reserved regions of every group on every domain, plus @extra's if not NULL. */
static int type1_resv_collect(struct type1_iommu *iommu, struct iommu_group *extra,
			      struct list_head *resv)
{
	struct type1_domain *d;
	struct type1_group *g;
	int ret = 0;

	if (extra)
		ret = iommu_get_group_resv_regions(extra, resv);
	list_for_each_entry(d, &iommu->domain_list, next)
		list_for_each_entry(g, &d->group_list, next)
			if (!ret)
				ret = iommu_get_group_resv_regions(g->iommu_group, resv);
	return ret;
}

/*
 * Would the new usable IOVA space leave a mapping outside? Mappings made while no physical
 * group was attached are not checked against the aperture: the replay fails for them.
 */
static bool type1_iova_conflict(struct type1_iommu *iommu, dma_addr_t start,
				dma_addr_t last, struct list_head *resv)
{
	struct iommu_resv_region *region;

	if (list_empty(&iommu->iova_list))
		goto resv;
	if (start > last)
		return true;
	if (start && type1_dma_first(iommu, 0, start - 1))
		return true;
	if (last != DMA_BIT_MASK(64) && type1_dma_first(iommu, last + 1, DMA_BIT_MASK(64)))
		return true;
resv:
	list_for_each_entry(region, resv, list) {
		if (region->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		if (type1_dma_first(iommu, region->start,
				    region->start + region->length - 1))
			return true;
	}
	return false;
}

/* A software-managed MSI window, unless the IOMMU driver reports a real one. */
static bool type1_sw_msi(struct list_head *resv, phys_addr_t *base)
{
	struct iommu_resv_region *region;
	bool ret = false;

	list_for_each_entry(region, resv, list) {
		if (region->type == IOMMU_RESV_MSI)
			return false;
		if (region->type == IOMMU_RESV_SW_MSI) {
			*base = region->start;
			ret = true;
		}
	}
	return ret;
}

static int type1_dev_intr_remap(struct device *dev, void *data)
{
	return device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP);
}

static int type1_dev_domain_alloc(struct device *dev, void *data)
{
	struct iommu_domain **domain = data;

	*domain = iommu_domain_alloc(dev->bus);
	return 1;	/* the first device is enough */
}

/* Move @group from @new to a compatible existing domain. Return: that domain or NULL. */
static struct type1_domain *type1_domain_share(struct type1_iommu *iommu,
					       struct type1_domain *new,
					       struct type1_group *group, int *ret)
{
	struct type1_domain *d;

	*ret = 0;
	list_for_each_entry(d, &iommu->domain_list, next) {
		if (d->domain->ops != new->domain->ops ||
		    d->enforce_cache_coherency != new->enforce_cache_coherency)
			continue;
		iommu_detach_group(new->domain, group->iommu_group);
		if (!iommu_attach_group(d->domain, group->iommu_group))
			return d;
		*ret = iommu_attach_group(new->domain, group->iommu_group);
		if (*ret)
			return NULL;
	}
	return NULL;
}

/* Attach @group to a new @domain and check what the container requires of it. */
static int type1_domain_setup(struct type1_iommu *iommu, struct type1_domain *domain,
			      struct type1_group *group, struct list_head *resv,
			      struct list_head *iova)
{
	dma_addr_t start, last;
	int ret;

	if (iommu->nesting) {
		ret = iommu_enable_nesting(domain->domain);
		if (ret)
			return ret;
	}
	ret = iommu_attach_group(domain->domain, group->iommu_group);
	if (ret)
		return ret;

	type1_aperture(iommu, domain->domain, &start, &last);
	ret = type1_resv_collect(iommu, group->iommu_group, resv);
	if (!ret && type1_iova_conflict(iommu, start, last, resv))
		ret = -EINVAL;
	if (!ret)
		ret = type1_iova_build(iova, start, last, resv);
	if (!ret && !type1_allow_unsafe_interrupts && !irq_domain_check_msi_remap() &&
	    !iommu_group_for_each_dev(group->iommu_group, NULL, type1_dev_intr_remap)) {
		pr_warn("vfio_iommu_type1: No interrupt remapping support. Use the module param \"allow_unsafe_interrupts\" to enable VFIO IOMMU support on this platform\n");
		type1_iova_free(iova);
		ret = -EPERM;
	}
	if (ret)
		iommu_detach_group(domain->domain, group->iommu_group);
	return ret;
}

/**
 * type1_domain_attach() - give a physical group an IOMMU domain with every mapping
 * @iommu: the container
 * @group: the group's new entry, on no list yet
 *
 * The group joins an existing domain with the same IOMMU ops and cache coherency if that
 * domain accepts it, else it gets a new domain into which every mapping is replayed.
 *
 * Return: 0 or -errno, with nothing changed.
 */
int type1_domain_attach(struct type1_iommu *iommu, struct type1_group *group)
{
	struct type1_domain *domain, *shared;
	phys_addr_t msi_base = 0;
	LIST_HEAD(resv);
	LIST_HEAD(iova);
	int ret = -ENOMEM;

	domain = kzalloc(sizeof(*domain), GFP_KERNEL_ACCOUNT);
	if (!domain)
		return ret;
	INIT_LIST_HEAD(&domain->group_list);

	ret = -EIO;
	iommu_group_for_each_dev(group->iommu_group, &domain->domain,
				 type1_dev_domain_alloc);
	if (!domain->domain)
		goto err_free;

	ret = type1_domain_setup(iommu, domain, group, &resv, &iova);
	if (ret)
		goto err_domain;

	if (domain->domain->ops->enforce_cache_coherency)
		domain->enforce_cache_coherency =
			domain->domain->ops->enforce_cache_coherency(domain->domain);

	shared = type1_domain_share(iommu, domain, group, &ret);
	if (ret)
		goto err_iova;
	if (shared) {
		list_add(&group->next, &shared->group_list);
		iommu_domain_free(domain->domain);
		kfree(domain);
		goto done;
	}

	if (type1_sw_msi(&resv, &msi_base)) {
		ret = iommu_get_msi_cookie(domain->domain, msi_base);
		if (ret && ret != -ENODEV)
			goto err_detach;
	}
	ret = type1_domain_replay(iommu, domain);
	if (ret)
		goto err_detach;
	list_add(&group->next, &domain->group_list);
	list_add(&domain->next, &iommu->domain_list);
	type1_update_pgsize_bitmap(iommu);
done:
	type1_iova_free(&iommu->iova_list);
	list_splice_tail(&iova, &iommu->iova_list);
	type1_resv_free(&resv);
	return 0;

err_detach:
	iommu_detach_group(domain->domain, group->iommu_group);
err_iova:
	type1_iova_free(&iova);
err_domain:
	type1_resv_free(&resv);
	iommu_domain_free(domain->domain);
err_free:
	kfree(domain);
	return ret;
}

/**
 * type1_domain_free() - free a domain left without groups
 * @iommu: the container
 * @domain: the domain, on domain_list, with an empty group_list
 */
void type1_domain_free(struct type1_iommu *iommu, struct type1_domain *domain)
{
	lockdep_assert_held(&iommu->lock);
	list_del(&domain->next);
	iommu_domain_free(domain->domain);
	kfree(domain);
	type1_update_pgsize_bitmap(iommu);
}

/**
 * type1_iova_refresh() - recompute the usable IOVA ranges after a group left
 * @iommu: the container
 *
 * The ranges widen to the apertures of the remaining domains minus the reserved regions of
 * the remaining groups (everything when none remain). Kept as they are if that fails.
 */
void type1_iova_refresh(struct type1_iommu *iommu)
{
	dma_addr_t start, last;
	LIST_HEAD(resv);
	LIST_HEAD(iova);

	lockdep_assert_held(&iommu->lock);
	if (list_empty(&iommu->iova_list))
		return;
	type1_aperture(iommu, NULL, &start, &last);
	if (!type1_resv_collect(iommu, NULL, &resv) &&
	    !type1_iova_build(&iova, start, last, &resv)) {
		type1_iova_free(&iommu->iova_list);
		list_splice_tail(&iova, &iommu->iova_list);
	}
	type1_resv_free(&resv);
}
