// SPDX-License-Identifier: GPL-2.0-only
/*
 * What vendor drivers of emulated devices (mdevs) use through the core: vfio_pin_pages(),
 * vfio_unpin_pages(), vfio_dma_rw(), and the device registration that lets them receive
 * dma_unmap callbacks.
 *
 * Each run of pages of one mapping is pinned at once (type1_pin_external_run()), and fails
 * at the page where pinning one page after another would. A pin is charged to the mapping's
 * owner only when no IOMMU domain pins the mapping already. Pages pinned or written while
 * dirty tracking is on are marked; a group whose device pins a page enters pinned dirty
 * scope.
 * dma_rw runs in the caller's context: a kernel thread borrows the mapping's mm, a task
 * of another mm is refused.
 * Locking: iommu->lock around each call; device_list also under device_list_lock.
 */
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "type1.h"

/* The mapping holding page @iova, one that may be used for pinning. */
static int type1_dma_for_pin(struct type1_iommu *iommu, dma_addr_t iova, int prot,
			     struct type1_dma **dmap)
{
	struct type1_dma *dma = type1_dma_first(iommu, iova, iova + PAGE_SIZE - 1);

	if (!dma)
		return -EINVAL;
	if ((dma->prot & prot) != prot)
		return -EPERM;
	*dmap = dma;
	return 0;
}

/*
 * Drop one reference to each pinned page of the @npage pages from the one holding @iova,
 * one call per mapping the range crosses, and uncharge what was unpinned. The range
 * stops at the end of the IOVA space.
 */
static void type1_unpin_range(struct type1_iommu *iommu, dma_addr_t iova, long npage,
			      bool acct)
{
	struct type1_dma *dma;
	dma_addr_t last;
	long n, unlocked;

	iova &= PAGE_MASK;
	npage = min_t(u64, npage, ((U64_MAX - iova) >> PAGE_SHIFT) + 1);
	last = iova + ((dma_addr_t)npage << PAGE_SHIFT) - 1;
	while (npage > 0) {
		dma = type1_dma_first(iommu, iova, last);
		if (!dma)
			return;
		if (dma->iova > iova) {
			n = (dma->iova - iova) >> PAGE_SHIFT;
			iova += (dma_addr_t)n << PAGE_SHIFT;
			npage -= n;
		}
		n = min_t(long, npage, (dma->iova + dma->size - iova) >> PAGE_SHIFT);
		unlocked = type1_unpin_external(dma, iova, n);
		if (acct)
			type1_lock_acct(dma, -unlocked, true);
		iova += (dma_addr_t)n << PAGE_SHIFT;
		npage -= n;
	}
}

/**
 * type1_pin_pages() - the @pin_pages op, behind vfio_pin_pages()
 * @iommu_data: the container
 * @iommu_group: the group of the calling device
 * @user_iova: first IOVA; the pages pinned are those of @user_iova, @user_iova + PAGE_SIZE, ...
 * @npage: pages
 * @prot: IOMMU_READ and/or IOMMU_WRITE the caller needs
 * @pages: set to the pinned pages
 *
 * Return: @npage, or -errno with nothing pinned: -EACCES for a type1 (v1) container,
 *         -EINVAL without a registered device or outside any mapping, -EPERM for a
 *         mapping without @prot, -ENOMEM over RLIMIT_MEMLOCK, -EFAULT.
 */
int type1_pin_pages(void *iommu_data, struct iommu_group *iommu_group,
		    dma_addr_t user_iova, int npage, int prot, struct page **pages)
{
	struct type1_iommu *iommu = iommu_data;
	struct type1_group *group;
	struct type1_dma *dma;
	int i, ret = 0;
	long n;
	bool acct;

	if (!iommu || !pages)
		return -EINVAL;
	if (!iommu->v2)
		return -EACCES;

	mutex_lock(&iommu->lock);
	/* Userspace can get here (an unmap with VFIO_DMA_UNMAP_FLAG_VADDR): no WARN */
	if (iommu->vaddr_invalid_count) {
		pr_warn_ratelimited("vfio_pin_pages not allowed with VFIO_UPDATE_VADDR\n");
		ret = -EBUSY;
		goto out_unlock;
	}
	/* Only a device that will hear about unmaps may pin */
	if (list_empty(&iommu->device_list)) {
		ret = -EINVAL;
		goto out_unlock;
	}

	/* With a domain, every page is pinned and charged already */
	acct = list_empty(&iommu->domain_list);
	for (i = 0; i < npage; i += n) {
		dma_addr_t iova = user_iova + PAGE_SIZE * i;

		ret = type1_dma_for_pin(iommu, iova, prot, &dma);
		if (ret)
			goto err_unpin;
		/* as far as the request goes inside this mapping */
		n = min_t(u64, npage - i, ((dma->iova + dma->size - 1 - iova) >> PAGE_SHIFT) + 1);
		n = type1_pin_external_run(dma, iova, n, acct, pages + i);
		if (n < 0) {
			ret = n;
			goto err_unpin;
		}
		type1_dirty_mark(iommu, dma, iova, n << PAGE_SHIFT);
	}
	ret = npage;

	group = type1_find_group(iommu, iommu_group);
	if (group && !group->pinned_page_dirty_scope) {
		group->pinned_page_dirty_scope = true;
		iommu->num_non_pinned_groups--;
	}
	goto out_unlock;

err_unpin:
	type1_unpin_range(iommu, user_iova, i, acct);
	memset(pages, 0, sizeof(*pages) * npage);
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

/**
 * type1_unpin_pages() - the @unpin_pages op, behind vfio_unpin_pages()
 * @iommu_data: the container
 * @user_iova: first IOVA, as given to type1_pin_pages()
 * @npage: pages
 */
void type1_unpin_pages(void *iommu_data, dma_addr_t user_iova, int npage)
{
	struct type1_iommu *iommu = iommu_data;
	bool acct;

	if (WARN_ON_ONCE(!iommu->v2))
		return;

	mutex_lock(&iommu->lock);
	acct = list_empty(&iommu->domain_list);
	type1_unpin_range(iommu, user_iova, npage, acct);
	mutex_unlock(&iommu->lock);
}

/* Copy to or from the part of one mapping at @iova. Return: bytes copied or -errno. */
static long type1_dma_rw_chunk(struct type1_iommu *iommu, dma_addr_t iova, void *data,
			       size_t count, bool write)
{
	struct type1_dma *dma = type1_dma_first(iommu, iova, iova);
	bool kthread = !current->mm;
	struct mm_struct *mm;
	unsigned long vaddr;
	size_t offset;
	long ret;

	if (!dma)
		return -EINVAL;
	if ((write && !(dma->prot & IOMMU_WRITE)) || !(dma->prot & IOMMU_READ))
		return -EPERM;

	mm = dma->owner->mm;
	if (!mmget_not_zero(mm))
		return -EPERM;
	ret = -EFAULT;
	if (kthread)
		kthread_use_mm(mm);
	else if (current->mm != mm)
		goto out_put;

	offset = iova - dma->iova;
	count = min_t(size_t, count, dma->size - offset);
	vaddr = dma->vaddr + offset;
	if (write) {
		if (!copy_to_user((void __user *)vaddr, data, count)) {
			type1_dirty_mark(iommu, dma, iova, count);
			ret = count;
		}
	} else if (!copy_from_user(data, (void __user *)vaddr, count)) {
		ret = count;
	}
	if (kthread)
		kthread_unuse_mm(mm);
out_put:
	mmput(mm);
	return ret;
}

/**
 * type1_dma_rw() - the @dma_rw op, behind vfio_dma_rw()
 * @iommu_data: the container
 * @user_iova: first IOVA
 * @data: kernel buffer
 * @count: bytes
 * @write: copy @data to the IOVA space, else from it
 *
 * Return: 0 or -errno: -EINVAL outside any mapping, -EPERM without the access right,
 *         -EFAULT (also when the mapping's process is gone or its memory unreachable).
 */
int type1_dma_rw(void *iommu_data, dma_addr_t user_iova, void *data,
		 size_t count, bool write)
{
	struct type1_iommu *iommu = iommu_data;
	int ret = 0;

	mutex_lock(&iommu->lock);
	/* Userspace can get here (an unmap with VFIO_DMA_UNMAP_FLAG_VADDR): no WARN */
	if (iommu->vaddr_invalid_count) {
		pr_warn_ratelimited("vfio_dma_rw not allowed with VFIO_UPDATE_VADDR\n");
		ret = -EBUSY;
		goto out_unlock;
	}
	while (count) {
		long done = type1_dma_rw_chunk(iommu, user_iova, data, count, write);

		if (done < 0) {
			ret = done;
			break;
		}
		count -= done;
		data += done;
		user_iova += done;
	}
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

/**
 * type1_register_device() - the @register_device op
 * @iommu_data: the container
 * @vdev: an opened device of an attached group
 *
 * Devices with a dma_unmap callback are told about every unmap from now on.
 */
void type1_register_device(void *iommu_data, struct vfio_device *vdev)
{
	struct type1_iommu *iommu = iommu_data;

	if (!vdev->ops->dma_unmap)
		return;

	/* Both locks: list_empty() is read under iommu->lock, the walk under the other */
	mutex_lock(&iommu->lock);
	mutex_lock(&iommu->device_list_lock);
	list_add(&vdev->iommu_entry, &iommu->device_list);
	mutex_unlock(&iommu->device_list_lock);
	mutex_unlock(&iommu->lock);
}

/**
 * type1_unregister_device() - the @unregister_device op
 * @iommu_data: the container
 * @vdev: a device given to type1_register_device()
 */
void type1_unregister_device(void *iommu_data, struct vfio_device *vdev)
{
	struct type1_iommu *iommu = iommu_data;

	if (!vdev->ops->dma_unmap)
		return;

	mutex_lock(&iommu->lock);
	mutex_lock(&iommu->device_list_lock);
	list_del(&vdev->iommu_entry);
	mutex_unlock(&iommu->device_list_lock);
	mutex_unlock(&iommu->lock);
}
