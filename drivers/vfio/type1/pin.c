// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinning user memory and charging it to RLIMIT_MEMLOCK.
 *
 * Two kinds of pins:
 *  - mapping pins (type1_pin_map()): MAP_DMA in a container with IOMMU domains pins the whole
 *    range in large batches (pin_user_pages_fast(), which takes a huge page or large folio
 *    at once) and hands physically contiguous runs to a map callback, so that the IOMMU gets
 *    the largest runs the memory allows. Nothing records them: the IOMMU page table is the
 *    record, and domain.c finds them again with iova_to_phys.
 *  - external pins (type1_pin_external_run()): pages for a vendor driver, each kept in
 *    dma->pins with a count of its callers; a run of new ones is pinned by one GUP call and
 *    charged at once; released by ranges (type1_unpin_external()).
 * Accounting: every pinned page that is not reserved (no struct page, PageReserved, the zero
 * page) is charged once to the owner's mm, even if both kinds pin it: a mapping pin skips pages
 * that already have an external pin, and unmapping keeps the charge of those.
 * Pages that are not backed by struct page (VM_PFNMAP, e.g. another device's BAR) are
 * mapped one at a time and never charged nor unpinned.
 * Locking: callers hold iommu->lock; this file takes the mmap_lock of the mapping's mm
 * inside it.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "type1.h"

/* Pages asked from GUP at a time: 8 MiB of 4 KiB pages, four huge pages. */
#define TYPE1_PIN_BATCH		2048

/**
 * type1_pfn_is_reserved() - is @pfn a page we neither pin nor charge
 * @pfn: a page frame number from GUP, follow_pte() or the IOMMU
 *
 * Return: true for a pfn without a struct page or with PageReserved (the zero page too).
 */
bool type1_pfn_is_reserved(unsigned long pfn)
{
	return !pfn_valid(pfn) || PageReserved(pfn_to_page(pfn));
}

/**
 * type1_mm_acct() - charge or uncharge pinned pages to an mm
 * @task: whose RLIMIT_MEMLOCK applies
 * @mm: the mm charged, referenced by the caller
 * @lock_cap: @task had CAP_IPC_LOCK: no limit
 * @npage: pages to charge, negative to uncharge
 *
 * Return: 0, -ENOMEM over RLIMIT_MEMLOCK, -EINTR if killed while waiting.
 */
int type1_mm_acct(struct task_struct *task, struct mm_struct *mm, bool lock_cap,
		  long npage)
{
	int ret = mmap_write_lock_killable(mm);

	if (ret)
		return ret;
	ret = __account_locked_vm(mm, abs(npage), npage > 0, task, lock_cap);
	mmap_write_unlock(mm);
	return ret;
}

/* Say who ran out of RLIMIT_MEMLOCK, as the stock module does */
static void type1_warn_memlock(struct type1_dma *dma)
{
	struct task_struct *task = dma->owner->task;

	pr_warn_ratelimited("vfio_iommu_type1: %s (%d) RLIMIT_MEMLOCK (%lu) exceeded\n",
			    task->comm, task_pid_nr(task), task_rlimit(task, RLIMIT_MEMLOCK));
}

/**
 * type1_lock_acct() - charge or uncharge pinned pages to the mapping's mm
 * @dma: the mapping whose task and mm are charged
 * @npage: pages to charge, negative to uncharge
 * @async: the caller may not run in the context of the mapping's task
 *
 * Return: 0, -ESRCH if the mm is gone (async only), -ENOMEM over RLIMIT_MEMLOCK.
 */
int type1_lock_acct(struct type1_dma *dma, long npage, bool async)
{
	struct mm_struct *mm = dma->owner->mm;
	/* In a task of that mm (a VMM's ioctl, say), the mm cannot go away meanwhile */
	bool get_mm = async && current->mm != mm;
	int ret;

	if (!npage)
		return 0;
	if (get_mm && !mmget_not_zero(mm))
		return -ESRCH;

	ret = type1_mm_acct(dma->owner->task, mm, dma->lock_cap, npage);
	if (!ret)
		dma->locked_vm += npage;

	if (get_mm)
		mmput(mm);
	return ret;
}

/**
 * type1_unpin_pfns() - drop the mapping pins of a physically contiguous run
 * @dma: the mapping the run belongs to
 * @pfn: first page frame
 * @npage: pages in the run
 *
 * Pages of a large folio are unpinned together, and dirtied if the mapping was writable.
 * Reserved pfns inside the run are skipped.
 */
void type1_unpin_pfns(struct type1_dma *dma, unsigned long pfn, long npage)
{
	bool dirty = dma->prot & IOMMU_WRITE;
	unsigned long end = pfn + npage;

	while (pfn < end) {
		unsigned long first = pfn;

		if (type1_pfn_is_reserved(pfn)) {
			pfn++;
			continue;
		}
		while (pfn < end && !type1_pfn_is_reserved(pfn))
			pfn++;
		unpin_user_page_range_dirty_lock(pfn_to_page(first), pfn - first,
						 dirty);
	}
}

/**
 * type1_pins_in_range() - count the external pins of a range of a mapping
 * @dma: the mapping
 * @iova: first IOVA of the range
 * @npage: pages in the range
 *
 * Return: the number of pages of the range pinned for vendor drivers that are charged.
 */
long type1_pins_in_range(struct type1_dma *dma, dma_addr_t iova, long npage)
{
	unsigned long first = (iova - dma->iova) >> PAGE_SHIFT;
	struct type1_pin *pin;
	unsigned long idx;
	long n = 0;

	if (xa_empty(&dma->pins))
		return 0;
	xa_for_each_range(&dma->pins, idx, pin, first, first + npage - 1)
		if (!pin->reserved)
			n++;
	return n;
}

/*
 * A page not reachable by GUP: an mmap of MMIO (VM_PFNMAP). Fault it in if needed and read
 * its pfn from the page table. Called with the mmap_lock held for read.
 * Return: 0, -ENXIO if @vaddr is not in a VM_PFNMAP vma, -EFAULT for a pfn that is not
 * reserved (a page with a struct page in use), or another -errno.
 */
static int type1_follow_pfnmap(struct mm_struct *mm, unsigned long vaddr,
			       bool write, unsigned long *pfn)
{
	struct vm_area_struct *vma;
	spinlock_t *ptl;
	pte_t *ptep;
	int ret;

again:
	vma = vma_lookup(mm, vaddr);
	if (!vma || !(vma->vm_flags & VM_PFNMAP))
		return -ENXIO;

	ret = follow_pte(mm, vaddr, &ptep, &ptl);
	if (ret) {
		bool unlocked = false;

		ret = fixup_user_fault(mm, vaddr, FAULT_FLAG_REMOTE |
				       (write ? FAULT_FLAG_WRITE : 0), &unlocked);
		if (unlocked)
			goto again;
		if (ret)
			return ret;
		ret = follow_pte(mm, vaddr, &ptep, &ptl);
		if (ret)
			return ret;
	}

	if (write && !pte_write(*ptep))
		ret = -EFAULT;
	else
		*pfn = pte_pfn(*ptep);
	pte_unmap_unlock(ptep, ptl);
	/* A page in use that GUP would not pin is refused, as stock does */
	if (!ret && !type1_pfn_is_reserved(*pfn))
		ret = -EFAULT;
	return ret;
}

/*
 * Pin up to @npage pages at @vaddr of the mapping's mm into @pages. When GUP cannot pin
 * the first page because it lies in a VM_PFNMAP vma, its pfn is returned in *@pfn with
 * *@pfnmap set (one page, nothing pinned). Zero pages are unpinned at once: they count as
 * reserved.
 *
 * Return: pages obtained (> 0) or the -errno of GUP.
 */
static long type1_gup(struct type1_dma *dma, unsigned long vaddr, long npage,
		      struct page **pages, bool *pfnmap, unsigned long *pfn)
{
	unsigned int flags = FOLL_LONGTERM;
	struct mm_struct *mm = dma->owner->mm;
	bool local = current->mm == mm;
	long ret, i;
	int err;

	if (dma->prot & IOMMU_WRITE)
		flags |= FOLL_WRITE;
	*pfnmap = false;

	if (local) {
		ret = pin_user_pages_fast(vaddr, npage, flags, pages);
		if (ret > 0)
			goto got;
	} else if (!mmget_not_zero(mm)) {
		return -ESRCH;
	}

	mmap_read_lock(mm);
	if (!local)
		ret = pin_user_pages_remote(mm, vaddr, npage, flags, pages,
					    NULL, NULL);
	if (ret <= 0) {
		err = type1_follow_pfnmap(mm, untagged_addr(vaddr),
					  dma->prot & IOMMU_WRITE, pfn);
		*pfnmap = !err;
		if (err != -ENXIO)
			ret = err ? err : 1;
		else if (!ret)
			ret = -EFAULT;
	}
	mmap_read_unlock(mm);
	if (!local)
		mmput(mm);
	if (ret <= 0 || *pfnmap)
		return ret;
got:
	for (i = 0; i < ret; i++)
		if (unlikely(is_zero_pfn(page_to_pfn(pages[i]))))
			unpin_user_page(pages[i]);
	return ret;
}

/* Pages of a run at @iova that a mapping pin charges: those without an external pin. */
static long type1_run_charge(struct type1_dma *dma, dma_addr_t iova, long npage,
			     bool rsvd)
{
	if (rsvd)
		return 0;
	return npage - type1_pins_in_range(dma, iova, npage);
}

/* A run of physically contiguous pages of one kind, pinned and charged, not yet mapped. */
struct type1_run {
	dma_addr_t iova;
	unsigned long pfn;
	long npage;
	bool rsvd;
};

struct type1_pin_ctx {
	struct type1_dma *dma;
	int (*map)(void *arg, struct type1_dma *dma, dma_addr_t iova,
			     unsigned long pfn, long npage);
	void *arg;
	struct type1_run run;
	long mapped;		/* pages mapped so far, from the first IOVA */
};

/* Undo the pin and the charge of the pending run. */
static void type1_run_drop(struct type1_pin_ctx *ctx)
{
	struct type1_run *run = &ctx->run;

	if (!run->npage)
		return;
	type1_lock_acct(ctx->dma, -type1_run_charge(ctx->dma, run->iova,
						    run->npage, run->rsvd), true);
	if (!run->rsvd)
		type1_unpin_pfns(ctx->dma, run->pfn, run->npage);
	run->npage = 0;
}

/* Map the pending run; on failure it is dropped. */
static int type1_run_flush(struct type1_pin_ctx *ctx)
{
	struct type1_run *run = &ctx->run;
	int ret;

	if (!run->npage)
		return 0;
	ret = ctx->map(ctx->arg, ctx->dma, run->iova, run->pfn, run->npage);
	if (ret) {
		type1_run_drop(ctx);
		return ret;
	}
	ctx->mapped += run->npage;
	run->iova += run->npage << PAGE_SHIFT;
	run->npage = 0;
	return 0;
}

/* Append one pinned pfn to the run, mapping the run first if the pfn does not extend it. */
static int type1_run_add(struct type1_pin_ctx *ctx, unsigned long pfn, bool rsvd)
{
	struct type1_run *run = &ctx->run;
	int ret;

	if (run->npage && pfn == run->pfn + run->npage && rsvd == run->rsvd &&
	    !type1_disable_hugepages) {
		run->npage++;
		return 0;
	}
	ret = type1_run_flush(ctx);
	if (ret)
		return ret;
	run->pfn = pfn;
	run->rsvd = rsvd;
	run->npage = 1;
	return 0;
}

/* Pages of @pages at @iova that a mapping pin charges. */
static long type1_batch_charge(struct type1_dma *dma, dma_addr_t iova,
			       struct page **pages, long n)
{
	long i, charge = 0;

	for (i = 0; i < n; i++)
		charge += type1_run_charge(dma, iova + (i << PAGE_SHIFT), 1,
					   type1_pfn_is_reserved(page_to_pfn(pages[i])));
	return charge;
}

static void type1_batch_unpin(struct page **pages, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (!type1_pfn_is_reserved(page_to_pfn(pages[i])))
			unpin_user_page(pages[i]);
}

/* Charge a freshly pinned batch at @iova, then append its pages to the run. */
static int type1_pin_batch(struct type1_pin_ctx *ctx, dma_addr_t iova,
			   struct page **pages, long n)
{
	struct type1_dma *dma = ctx->dma;
	long i;
	int ret;

	ret = type1_lock_acct(dma, type1_batch_charge(dma, iova, pages, n), false);
	if (ret) {
		if (ret == -ENOMEM)
			type1_warn_memlock(dma);
		type1_batch_unpin(pages, n);
		return ret;
	}

	for (i = 0; i < n; i++) {
		ret = type1_run_add(ctx, page_to_pfn(pages[i]),
				    type1_pfn_is_reserved(page_to_pfn(pages[i])));
		if (ret)
			goto err_rest;
	}
	return 0;

err_rest:
	pages += i;
	iova += i << PAGE_SHIFT;
	type1_lock_acct(dma, -type1_batch_charge(dma, iova, pages, n - i), true);
	type1_batch_unpin(pages, n - i);
	return ret;
}

/**
 * type1_pin_map() - pin a range of a mapping and map it in contiguous runs
 * @dma: the mapping; its vaddr, prot, task and mm are used
 * @iova: first IOVA to pin, inside @dma
 * @npage: pages to pin
 * @map: called for each physically contiguous run of pinned pages of one kind
 * @arg: passed to @map
 * @mapped: set to the pages mapped from @iova on, on success and on failure
 *
 * Pages are charged to the mapping's mm before they are mapped. On failure, what was pinned and not
 * mapped is unpinned and uncharged; the runs mapped before stay mapped, pinned and charged
 * for the caller to undo.
 *
 * Return: 0 or -errno (-ENOMEM over RLIMIT_MEMLOCK, -EFAULT for a bad address).
 */
int type1_pin_map(struct type1_dma *dma, dma_addr_t iova, long npage,
		  int (*map)(void *arg, struct type1_dma *dma, dma_addr_t iova,
			     unsigned long pfn, long npage),
		  void *arg, long *mapped)
{
	struct type1_pin_ctx ctx = {
		.dma = dma, .map = map, .arg = arg, .run.iova = iova,
	};
	long done = 0, batch = min_t(long, npage, TYPE1_PIN_BATCH);
	unsigned long vaddr = dma->vaddr + (iova - dma->iova);
	struct page **pages;
	int ret = 0;

	*mapped = 0;
	pages = kvmalloc_array(batch, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;

	while (done < npage) {
		unsigned long pfn;
		bool pfnmap;
		long n;

		cond_resched();
		n = type1_gup(dma, vaddr + (done << PAGE_SHIFT),
			      min(npage - done, batch), pages, &pfnmap, &pfn);
		if (n < 0) {
			ret = n;
			break;
		}
		if (pfnmap)
			ret = type1_run_add(&ctx, pfn, true);
		else
			ret = type1_pin_batch(&ctx, iova + (done << PAGE_SHIFT),
					      pages, n);
		if (ret)
			break;
		done += n;
	}
	if (ret)
		type1_run_drop(&ctx);
	else
		ret = type1_run_flush(&ctx);

	kvfree(pages);
	*mapped = ctx.mapped;
	return ret;
}

/**
 * type1_pin_external() - pin one page of a mapping for a vendor driver
 * @dma: the mapping
 * @iova: the page's IOVA; no external pin holds the page yet
 * @acct: charge the page (no IOMMU domain pins the mapping)
 * @pfn: set to the page frame
 *
 * Return: 0, -EINVAL for memory without a struct page, -EFAULT, -ENOMEM, -ENODEV.
 */
static int type1_pin_external(struct type1_dma *dma, dma_addr_t iova, bool acct,
			      unsigned long *pfn)
{
	unsigned long vaddr = dma->vaddr + (iova - dma->iova);
	unsigned long idx = (iova - dma->iova) >> PAGE_SHIFT;
	struct type1_pin *pin;
	struct page *page;
	bool pfnmap;
	long ret;

	pin = kzalloc(sizeof(*pin), GFP_KERNEL_ACCOUNT);
	if (!pin)
		return -ENOMEM;
	ret = type1_gup(dma, vaddr, 1, &page, &pfnmap, &pin->pfn);
	if (ret < 0) {
		/* the mapping's owner has exited */
		if (ret == -ESRCH)
			ret = -ENODEV;
		goto err_free;
	}
	ret = 0;
	if (!pfnmap)
		pin->pfn = page_to_pfn(page);
	else if (!pfn_valid(pin->pfn))
		ret = -EINVAL;
	if (ret)
		goto err_free;

	pin->reserved = type1_pfn_is_reserved(pin->pfn);
	if (acct && !pin->reserved) {
		ret = type1_lock_acct(dma, 1, true);
		if (ret == -ENOMEM)
			type1_warn_memlock(dma);
		if (ret)
			goto err_unpin;
	}
	pin->refs = 1;
	ret = xa_err(xa_store(&dma->pins, idx, pin, GFP_KERNEL_ACCOUNT));
	if (ret)
		goto err_unacct;
	*pfn = pin->pfn;
	return 0;

err_unacct:
	if (acct && !pin->reserved)
		type1_lock_acct(dma, -1, true);
err_unpin:
	if (!pin->reserved)
		unpin_user_page(pfn_to_page(pin->pfn));
err_free:
	kfree(pin);
	return ret;
}

/* Pages of @pages that an external pin charges: those not reserved. */
static long type1_pages_charged(struct page **pages, long n)
{
	long i, charge = 0;

	for (i = 0; i < n; i++)
		charge += !type1_pfn_is_reserved(page_to_pfn(pages[i]));
	return charge;
}

/*
 * Record freshly pinned @pages, the @n pages from index @idx of @dma, charged already when
 * @acct. Return: how many were recorded; the rest are uncharged and unpinned.
 */
static long type1_record_pins(struct type1_dma *dma, unsigned long idx,
			      struct page **pages, long n, bool acct)
{
	struct type1_pin *pin;
	long i;

	for (i = 0; i < n; i++) {
		pin = kzalloc(sizeof(*pin), GFP_KERNEL_ACCOUNT);
		if (!pin)
			break;
		pin->pfn = page_to_pfn(pages[i]);
		pin->reserved = type1_pfn_is_reserved(pin->pfn);
		pin->refs = 1;
		if (xa_err(xa_store(&dma->pins, idx + i, pin, GFP_KERNEL_ACCOUNT))) {
			kfree(pin);
			break;
		}
	}
	if (i < n) {
		if (acct)
			type1_lock_acct(dma, -type1_pages_charged(pages + i, n - i), true);
		type1_batch_unpin(pages + i, n - i);
	}
	return i;
}

/*
 * Pin one page after another, as far as they go.
 * Return: pages pinned, or the -errno of the first page.
 */
static long type1_pin_external_each(struct type1_dma *dma, dma_addr_t iova, long npage,
				    bool acct, struct page **pages)
{
	unsigned long pfn;
	long i;
	int ret;

	for (i = 0; i < npage; i++) {
		ret = type1_pin_external(dma, iova + (i << PAGE_SHIFT), acct, &pfn);
		if (ret)
			return i ? i : ret;
		pages[i] = pfn_to_page(pfn);
	}
	return npage;
}

/**
 * type1_pin_external_run() - pin the first pages of a range of a mapping for a vendor driver
 * @dma: the mapping
 * @iova: the IOVA of the first page, inside @dma
 * @npage: pages, all inside @dma
 * @acct: charge the pages (no IOMMU domain pins the mapping)
 * @pages: set to the pinned pages
 *
 * A page pinned already only gains a reference. A run of pages not pinned yet is pinned
 * by one GUP call and charged at once; whatever GUP does not take that way (MMIO,
 * a fault, the charge over RLIMIT_MEMLOCK) goes through type1_pin_external() a page at a
 * time, so that each page fails as it would alone.
 *
 * Return: how many pages from @iova on are pinned (at least one), or the -errno of the
 * first page, with nothing pinned: as type1_pin_external().
 */
long type1_pin_external_run(struct type1_dma *dma, dma_addr_t iova, long npage, bool acct,
			    struct page **pages)
{
	unsigned long idx = (iova - dma->iova) >> PAGE_SHIFT, next = idx, pfn;
	unsigned long vaddr = dma->vaddr + (iova - dma->iova);
	struct type1_pin *pin;
	bool pfnmap;
	long n, charge = 0;

	pin = xa_load(&dma->pins, idx);
	if (pin) {
		pin->refs++;
		pages[0] = pfn_to_page(pin->pfn);
		return 1;
	}
	/* The run ends before the next page pinned already */
	if (xa_find(&dma->pins, &next, idx + npage - 1, XA_PRESENT))
		npage = next - idx;

	n = type1_gup(dma, vaddr, npage, pages, &pfnmap, &pfn);
	if (n < 0 || pfnmap)
		return type1_pin_external_each(dma, iova, npage, acct, pages);
	if (acct)
		charge = type1_pages_charged(pages, n);
	if (charge && type1_lock_acct(dma, charge, true)) {
		type1_batch_unpin(pages, n);
		return type1_pin_external_each(dma, iova, n, acct, pages);
	}
	n = type1_record_pins(dma, idx, pages, n, acct);
	return n ? n : -ENOMEM;
}

/* Pins released at a time: unpinning may sleep, so it runs outside the xarray's lock. */
#define TYPE1_UNPIN_BATCH	32

/*
 * Unpin the pages of @pins (taken out of dma->pins already), each physically contiguous
 * run in one call, and free the pins. Return: how many of the pages were charged.
 */
static long type1_release_pins(struct type1_dma *dma, struct type1_pin **pins, int n)
{
	bool dirty = dma->prot & IOMMU_WRITE;
	long unlocked = 0;
	int i = 0, first;

	while (i < n) {
		first = i++;
		if (pins[first]->reserved) {
			kfree(pins[first]);
			continue;
		}
		while (i < n && !pins[i]->reserved && pins[i]->pfn == pins[i - 1]->pfn + 1)
			i++;
		unpin_user_page_range_dirty_lock(pfn_to_page(pins[first]->pfn), i - first,
						 dirty);
		unlocked += i - first;
		while (first < i)
			kfree(pins[first++]);
	}
	return unlocked;
}

/**
 * type1_unpin_external() - drop one vendor-driver reference to each pinned page of a range
 * @dma: the mapping
 * @iova: the IOVA of the first page, inside @dma
 * @npage: pages, all inside @dma; those not pinned are skipped
 *
 * A page whose last reference goes is unpinned (with its physically contiguous
 * neighbours, so a huge page is released at once) and forgotten.
 *
 * Return: how many pages were unpinned whose charge may be dropped.
 */
long type1_unpin_external(struct type1_dma *dma, dma_addr_t iova, long npage)
{
	unsigned long first = (iova - dma->iova) >> PAGE_SHIFT;
	struct type1_pin *batch[TYPE1_UNPIN_BATCH], *pin;
	XA_STATE(xas, &dma->pins, first);
	long unlocked = 0;
	int n;

	do {
		n = 0;
		xas_lock(&xas);
		xas_for_each(&xas, pin, first + npage - 1) {
			if (--pin->refs)
				continue;
			xas_store(&xas, NULL);
			batch[n++] = pin;
			if (n == TYPE1_UNPIN_BATCH) {
				xas_pause(&xas);
				break;
			}
		}
		xas_unlock(&xas);
		unlocked += type1_release_pins(dma, batch, n);
	} while (n == TYPE1_UNPIN_BATCH);
	return unlocked;
}
