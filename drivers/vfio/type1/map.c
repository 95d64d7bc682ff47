// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO_IOMMU_MAP_DMA and VFIO_IOMMU_UNMAP_DMA: the life of a struct type1_dma.
 *
 * A mapping is created by MAP_DMA: without IOMMU domains nothing is pinned (vendor drivers
 * pin what they use); with domains every page is pinned, charged and mapped in each.
 * It goes away by UNMAP_DMA, by the detach of the last group, or at container release.
 * Before a mapping with pages pinned for vendor drivers goes away, every registered device
 * gets its dma_unmap callback, with iommu->lock dropped, and must unpin them; the unmap then
 * starts over, since the tree may have changed meanwhile.
 * Each mapping holds its owner (struct type1_owner): the mappings of one process share
 * one, which lives while any of them does.
 * VFIO_DMA_UNMAP_FLAG_VADDR keeps a mapping and its pins but forgets its vaddr until
 * MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR gives a new one (live update); meanwhile nothing
 * may pin through it, so the feature is refused while emulated groups are attached.
 * Locking: iommu->lock, dropped only around the dma_unmap callbacks.
 */
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "type1.h"

/* A vendor driver that keeps its pins after this many dma_unmap callbacks is broken. */
#define TYPE1_UNMAP_RETRIES	10

/*
 * The owner for a mapping the current process makes: the last mapping's, if the same
 * process made it (the usual case: a VMM maps all of a guest's memory), else a new one.
 */
static struct type1_owner *type1_owner_get(struct type1_iommu *iommu)
{
	struct type1_owner *owner = iommu->last_owner;

	lockdep_assert_held(&iommu->lock);
	if (owner && owner->task == current->group_leader && owner->mm == current->mm) {
		owner->users++;
		return owner;
	}

	owner = kmalloc(sizeof(*owner), GFP_KERNEL_ACCOUNT);
	if (!owner)
		return NULL;
	owner->task = get_task_struct(current->group_leader);
	owner->mm = current->mm;
	mmgrab(owner->mm);
	owner->users = 1;
	iommu->last_owner = owner;
	return owner;
}

static void type1_owner_put(struct type1_iommu *iommu, struct type1_owner *owner)
{
	lockdep_assert_held(&iommu->lock);
	if (--owner->users)
		return;
	if (iommu->last_owner == owner)
		iommu->last_owner = NULL;
	put_task_struct(owner->task);
	mmdrop(owner->mm);
	kfree(owner);
}

/* Unpin what vendor drivers left pinned (they must not) and drop its charge. */
static void type1_dma_drop_pins(struct type1_dma *dma)
{
	struct type1_pin *pin;
	unsigned long idx;

	xa_for_each(&dma->pins, idx, pin)
		pin->refs = 1;
	type1_lock_acct(dma, -type1_unpin_external(dma, dma->iova, dma->size >> PAGE_SHIFT),
			true);
}

/**
 * type1_dma_remove() - unmap, unpin, uncharge and free a mapping
 * @iommu: the container
 * @dma: the mapping, linked
 */
void type1_dma_remove(struct type1_iommu *iommu, struct type1_dma *dma)
{
	lockdep_assert_held(&iommu->lock);
	/* the checks in line: an emulated container's 4 KiB unmap is mostly calls otherwise */
	if (dma->iommu_mapped)
		type1_domains_unmap(iommu, dma);
	if (WARN_ON_ONCE(!xa_empty(&dma->pins)))
		type1_dma_drop_pins(dma);
	type1_dma_unlink(iommu, dma);
	if (dma->dirty)
		type1_dirty_free(iommu, dma);
	if (dma->vaddr_invalid)
		iommu->vaddr_invalid_count--;
	type1_owner_put(iommu, dma->owner);
	/* Normally empty: xa_destroy() would take its irq-safe lock for nothing on each unmap */
	if (!xa_empty(&dma->pins))
		xa_destroy(&dma->pins);
	kfree(dma);
	iommu->dma_avail++;
}

/**
 * type1_dma_remove_all() - remove every mapping of the container
 * @iommu: the container
 */
void type1_dma_remove_all(struct type1_iommu *iommu)
{
	struct type1_dma *dma;

	while ((dma = type1_dma_first(iommu, 0, DMA_BIT_MASK(64))))
		type1_dma_remove(iommu, dma);
}

/**
 * type1_dma_unpin_all() - unmap every mapping from the last domain and unpin it
 * @iommu: the container, whose last domain is going away while emulated groups stay
 *
 * The mappings stay, as they are without domains: pages pinned for vendor drivers stay
 * pinned and charged, the rest is unpinned and uncharged.
 */
void type1_dma_unpin_all(struct type1_iommu *iommu)
{
	struct type1_dma *dma;

	lockdep_assert_held(&iommu->lock);
	type1_for_each_dma(dma, iommu)
		type1_domains_unmap(iommu, dma);
}

/* MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR from another process: move the charge there. */
static int type1_dma_change_owner(struct type1_iommu *iommu, struct type1_dma *dma)
{
	struct type1_owner *old = dma->owner, *new;
	bool lock_cap;
	int ret;

	if (current->mm == old->mm)
		return 0;

	lock_cap = capable(CAP_IPC_LOCK);
	new = type1_owner_get(iommu);
	if (!new)
		return -ENOMEM;
	ret = type1_mm_acct(new->task, new->mm, lock_cap, dma->locked_vm);
	if (ret) {
		type1_owner_put(iommu, new);
		return ret;
	}
	if (mmget_not_zero(old->mm)) {
		type1_mm_acct(old->task, old->mm, dma->lock_cap, -(long)dma->locked_vm);
		mmput(old->mm);
	}
	dma->owner = new;
	dma->lock_cap = lock_cap;
	type1_owner_put(iommu, old);
	return 0;
}

/* MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR: give an invalidated mapping its new vaddr. */
static int type1_dma_set_vaddr(struct type1_iommu *iommu, struct type1_dma *dma,
			       dma_addr_t iova, size_t size, unsigned long vaddr)
{
	int ret;

	if (!dma)
		return -ENOENT;
	if (!dma->vaddr_invalid || dma->iova != iova || dma->size != size)
		return -EINVAL;
	ret = type1_dma_change_owner(iommu, dma);
	if (ret)
		return ret;
	dma->vaddr = vaddr;
	dma->vaddr_invalid = false;
	iommu->vaddr_invalid_count--;
	return 0;
}

/*
 * Pinning may happen later from a vendor driver's context: the mapping keeps the caller's
 * process as its owner, for RLIMIT_MEMLOCK and the charge.
 */
static struct type1_dma *type1_dma_alloc(struct type1_iommu *iommu, dma_addr_t iova,
					 unsigned long vaddr, int prot)
{
	struct type1_dma *dma = kzalloc(sizeof(*dma), GFP_KERNEL_ACCOUNT);

	if (!dma)
		return NULL;
	dma->owner = type1_owner_get(iommu);
	if (!dma->owner) {
		kfree(dma);
		return NULL;
	}
	dma->iova = iova;
	dma->vaddr = vaddr;
	dma->prot = prot;
	dma->lock_cap = capable(CAP_IPC_LOCK);
	xa_init(&dma->pins);
	return dma;
}

/**
 * type1_dma_map() - VFIO_IOMMU_MAP_DMA
 * @iommu: the container
 * @map: the user's request, flags checked against the known ones
 *
 * Return: 0 or -errno as the uAPI documents: -EINVAL for bad flags, alignment, wrap or
 *         IOVA outside the usable ranges, -EEXIST for an overlap, -ENOSPC over
 *         dma_entry_limit, -ENOMEM over RLIMIT_MEMLOCK, -EFAULT for bad memory.
 */
int type1_dma_map(struct type1_iommu *iommu, struct vfio_iommu_type1_dma_map *map)
{
	bool set_vaddr = map->flags & VFIO_DMA_MAP_FLAG_VADDR;
	unsigned long vaddr = map->vaddr;
	struct rb_node **link, *parent;
	dma_addr_t iova = map->iova;
	size_t size = map->size;
	struct type1_dma *dma;
	int ret = 0, prot = 0;
	size_t pgsize;

	if (map->flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	if (map->flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (!prot == !set_vaddr)
		return -EINVAL;

	mutex_lock(&iommu->lock);
	pgsize = type1_pgsize(iommu);
	if (!size || (size | iova | vaddr) & (pgsize - 1) ||
	    iova + size - 1 < iova || vaddr + size - 1 < vaddr) {
		ret = -EINVAL;
		goto out_unlock;
	}

	if (set_vaddr) {
		dma = type1_dma_first(iommu, iova, iova + size - 1);
		ret = type1_dma_set_vaddr(iommu, dma, iova, size, vaddr);
		goto out_unlock;
	}
	if (type1_dma_slot(iommu, iova, iova + size - 1, &link, &parent)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (!iommu->dma_avail) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (!type1_iova_valid(iommu, iova, iova + size - 1)) {
		ret = -EINVAL;
		goto out_unlock;
	}

	dma = type1_dma_alloc(iommu, iova, vaddr, prot);
	if (!dma) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	iommu->dma_avail--;
	type1_dma_link(iommu, dma, link, parent);

	if (list_empty(&iommu->domain_list))
		dma->size = size;
	else
		ret = type1_domains_map(iommu, dma, size);
	if (!ret && iommu->dirty_tracking)
		ret = type1_dirty_alloc(iommu, dma);
	if (ret)
		type1_dma_remove(iommu, dma);
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

/*
 * Ask every registered device to drop its pins in [iova, iova + size). Called with
 * iommu->lock held; returns with it held, after dropping it for the callbacks, which call
 * vfio_unpin_pages() and so take it themselves.
 */
static void type1_notify_dma_unmap(struct type1_iommu *iommu, dma_addr_t iova,
				   size_t size)
{
	struct vfio_device *vdev;

	lockdep_assert_held(&iommu->lock);
	if (list_empty(&iommu->device_list))
		return;

	mutex_lock(&iommu->device_list_lock);
	mutex_unlock(&iommu->lock);
	list_for_each_entry(vdev, &iommu->device_list, iommu_entry)
		vdev->ops->dma_unmap(vdev, iova, size);
	mutex_unlock(&iommu->device_list_lock);
	mutex_lock(&iommu->lock);
}

/* VFIO_DMA_UNMAP_FLAG_VADDR over [iova, last]: all or nothing. */
static int type1_dma_invalidate_vaddr(struct type1_iommu *iommu, struct type1_dma *first,
				      dma_addr_t iova, dma_addr_t last, u64 *unmapped)
{
	struct type1_dma *dma, *undo;

	for (dma = first; dma && dma->iova <= last; dma = type1_dma_next(dma)) {
		if (!iommu->v2 && iova > dma->iova)
			break;
		if (dma->vaddr_invalid)
			goto err_undo;
		dma->vaddr_invalid = true;
		iommu->vaddr_invalid_count++;
		*unmapped += dma->size;
	}
	return 0;

err_undo:
	for (undo = first; undo != dma; undo = type1_dma_next(undo)) {
		undo->vaddr_invalid = false;
		iommu->vaddr_invalid_count--;
	}
	*unmapped = 0;
	return -EINVAL;
}

/* Check an unmap request against the container; also before any retry. */
static int type1_dma_unmap_check(struct type1_iommu *iommu,
				 struct vfio_iommu_type1_dma_unmap *unmap,
				 struct vfio_bitmap *bitmap, dma_addr_t *last)
{
	bool unmap_all = unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	size_t pgsize = type1_pgsize(iommu);
	u64 size = unmap->size;

	if ((unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR) &&
	    !list_empty(&iommu->emulated_groups))
		return -EBUSY;
	if (unmap->iova & (pgsize - 1))
		return -EINVAL;
	if (unmap_all) {
		if (unmap->iova || size)
			return -EINVAL;
		*last = DMA_BIT_MASK(64);
	} else {
		if (!size || size & (pgsize - 1) || unmap->iova + size - 1 < unmap->iova ||
		    size > SIZE_MAX)
			return -EINVAL;
		*last = unmap->iova + size - 1;
	}
	if ((unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) &&
	    (!iommu->dirty_tracking || bitmap->pgsize != pgsize))
		return -EINVAL;
	return 0;
}

/*
 * Remove the mappings of [iova, last] one by one, from @first, the first one. Return: 0
 * when done, -EAGAIN after the devices were asked to drop their pins in @pinned, -errno
 * for a bitmap that cannot be written.
 */
static int type1_dma_unmap_range(struct type1_iommu *iommu, struct type1_dma *first,
				 struct vfio_iommu_type1_dma_unmap *unmap,
				 struct vfio_bitmap *bitmap, dma_addr_t last,
				 struct type1_dma **pinned, u64 *unmapped)
{
	dma_addr_t iova = unmap->iova;
	struct type1_dma *dma, *next;
	int ret;

	for (dma = first; dma && dma->iova <= last; dma = next) {
		if (!iommu->v2 && iova > dma->iova)
			break;
		if (!xa_empty(&dma->pins)) {
			*pinned = dma;
			type1_notify_dma_unmap(iommu, dma->iova, dma->size);
			return -EAGAIN;
		}
		if (unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
			ret = type1_dirty_report(iommu, dma, bitmap->data,
						 iova);
			if (ret)
				return ret;
		}
		*unmapped += dma->size;
		next = type1_dma_next(dma);
		type1_dma_remove(iommu, dma);
	}
	return 0;
}

/**
 * type1_dma_unmap() - VFIO_IOMMU_UNMAP_DMA
 * @iommu: the container
 * @unmap: the user's request, flags checked; @unmap->size is set to the bytes unmapped
 * @bitmap: the user's dirty bitmap with VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, size checked
 *
 * Return: 0 or -errno: -EINVAL for alignment, wrap or (v2) a bisected mapping, -EBUSY for
 *         VFIO_DMA_UNMAP_FLAG_VADDR with emulated groups.
 */
int type1_dma_unmap(struct type1_iommu *iommu, struct vfio_iommu_type1_dma_unmap *unmap,
		    struct vfio_bitmap *bitmap)
{
	/* v2 refuses to bisect a mapping; v1 unmaps whole mappings only */
	bool check_bisect = iommu->v2 && !(unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL);
	struct type1_dma *first, *pinned, *last_pinned = NULL;
	u64 unmapped = 0;
	int retries = 0;
	dma_addr_t last;
	int ret;

	mutex_lock(&iommu->lock);
	ret = type1_dma_unmap_check(iommu, unmap, bitmap, &last);
	if (ret)
		goto out_unlock;
	first = type1_dma_first(iommu, unmap->iova, last);
	if (unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR) {
		if (check_bisect && type1_dma_bisects(iommu, first, unmap->iova, last))
			ret = -EINVAL;
		else
			ret = type1_dma_invalidate_vaddr(iommu, first, unmap->iova, last,
							 &unmapped);
		goto out_unlock;
	}

	do {
		if (check_bisect && type1_dma_bisects(iommu, first, unmap->iova, last)) {
			ret = -EINVAL;
			break;
		}
		ret = type1_dma_unmap_range(iommu, first, unmap, bitmap, last, &pinned,
					    &unmapped);
		if (ret != -EAGAIN)
			break;
		retries = pinned == last_pinned ? retries + 1 : 0;
		last_pinned = pinned;
		/* the lock was dropped for the dma_unmap callbacks: look again */
		first = type1_dma_first(iommu, unmap->iova, last);
	} while (!WARN_ONCE(retries > TYPE1_UNMAP_RETRIES,
			    "vfio_iommu_type1: a vendor driver keeps pages pinned after dma_unmap\n"));
	if (ret == -EAGAIN)
		ret = -EBUSY;
out_unlock:
	mutex_unlock(&iommu->lock);
	unmap->size = unmapped;
	return ret;
}
