// SPDX-License-Identifier: GPL-2.0-only
/*
 * The copy engine of a vGPU instance (registers in vgpu_regs.h).
 *
 * A doorbell runs one command synchronously: COPY moves bytes between guest memory (IOVAs
 * in the container) and the instance's VRAM slice, through vfio_dma_rw() or, with
 * VGPU_CE_CTRL_USE_PIN, through vfio_pin_pages() + a CPU copy + vfio_unpin_pages(); PIN
 * pins guest pages and holds them (as a GPU's page tables would) until UNPIN, until the
 * container unmaps them (the dma_unmap callback, vgpu_ce_unpin_range()), or until the
 * device is reset or closed. Every guest address and length is checked before use; a bad
 * descriptor ends the command with VGPU_CE_STATUS_ERROR and a VGPU_CE_ERR_* code, after
 * any part that was already valid has been done. While the instance's DMA is stopped by
 * EEH (vgpu_eeh.c) every command ends with VGPU_CE_ERR_FROZEN, nothing done and no
 * interrupt raised. PIN skips pages it already holds, pins each run of the others in one
 * vfio_pin_pages() call, and keeps what it pinned before a failure (UNPIN or an unmap
 * releases them). VGPU_CE_ERRNO keeps the errno of a command's first failed VFIO call.
 * Locking: callers hold vgpu->lock; the VFIO calls take the container's locks inside it
 * (type1 calls dma_unmap without its own lock held, so the order is always ours first).
 * Lifetime: pins exist only while the device is open.
 */
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/overflow.h>

#include "vgpu.h"

/**
 * vgpu_ce_init() - an idle engine holding nothing
 * @ce: the engine
 */
void vgpu_ce_init(struct vgpu_ce *ce)
{
	memset(ce, 0, sizeof(*ce));
	xa_init(&ce->pins);
}

/* Give back the @n pins from guest page @pfn on, which the engine no longer records. */
static void vgpu_ce_unpin_run(struct vgpu_state *vgpu, unsigned long pfn, unsigned long n)
{
	vfio_unpin_pages(&vgpu->vdev, (dma_addr_t)pfn << PAGE_SHIFT, n);
	vgpu->ce.nr_pinned -= n;
}

/**
 * vgpu_ce_unpin_range() - release the pins held in an IOVA range
 * @vgpu: the instance
 * @iova: start
 * @length: bytes; the range may run to the end of the address space
 *
 * Consecutive pages go back in one vfio_unpin_pages() call, as many as it takes.
 */
void vgpu_ce_unpin_range(struct vgpu_state *vgpu, u64 iova, u64 length)
{
	unsigned long first = iova >> PAGE_SHIFT, last, idx, start = 0, n = 0;
	XA_STATE(xas, &vgpu->ce.pins, first);
	struct page *page;
	u64 end;

	lockdep_assert_held(&vgpu->lock);
	if (!length)
		return;
	if (check_add_overflow(iova, length - 1, &end))
		end = U64_MAX;
	last = end >> PAGE_SHIFT;

	xas_lock(&xas);
	xas_for_each(&xas, page, last) {
		idx = xas.xa_index;
		xas_store(&xas, NULL);
		if (n && (idx != start + n || n == VFIO_PIN_PAGES_MAX_ENTRIES)) {
			/* vfio_unpin_pages() sleeps: not under the xarray's lock */
			xas_pause(&xas);
			xas_unlock(&xas);
			vgpu_ce_unpin_run(vgpu, start, n);
			xas_lock(&xas);
			n = 0;
		}
		if (!n)
			start = idx;
		n++;
	}
	xas_unlock(&xas);
	if (n)
		vgpu_ce_unpin_run(vgpu, start, n);
}

/**
 * vgpu_ce_reset() - drop every pin and clear the registers
 * @vgpu: the instance (device open, or being closed)
 */
void vgpu_ce_reset(struct vgpu_state *vgpu)
{
	struct vgpu_ce *ce = &vgpu->ce;

	lockdep_assert_held(&vgpu->lock);
	vgpu_ce_unpin_range(vgpu, 0, U64_MAX);
	xa_destroy(&ce->pins);
	vgpu_ce_init(ce);
}

/* Keep the errno of the command's first failed VFIO call for VGPU_CE_ERRNO. */
static void vgpu_ce_vfio_failed(struct vgpu_ce *ce, int err)
{
	if (!ce->vfio_errno)
		ce->vfio_errno = -err;
}

/* Hold the @n pages just pinned from guest page @pfn on, in ce->batch. */
static int vgpu_ce_hold(struct vgpu_state *vgpu, unsigned long pfn, int n)
{
	struct vgpu_ce *ce = &vgpu->ce;
	int i;

	for (i = 0; i < n; i++) {
		if (xa_err(xa_store(&ce->pins, pfn + i, ce->batch[i], GFP_KERNEL))) {
			vfio_unpin_pages(&vgpu->vdev, (dma_addr_t)(pfn + i) << PAGE_SHIFT, n - i);
			return VGPU_CE_ERR_IOVA;
		}
		ce->nr_pinned++;
	}
	return VGPU_CE_ERR_NONE;
}

/* Pin and hold the @n guest pages from @pfn on, none held yet, with one vfio_pin_pages() */
static int vgpu_ce_pin_run(struct vgpu_state *vgpu, unsigned long pfn, int n)
{
	struct vgpu_ce *ce = &vgpu->ce;
	int i, ret;

	ret = vfio_pin_pages(&vgpu->vdev, (dma_addr_t)pfn << PAGE_SHIFT, n,
			     IOMMU_READ | IOMMU_WRITE, ce->batch);
	if (ret == n)
		return vgpu_ce_hold(vgpu, pfn, n);
	vgpu_ce_vfio_failed(ce, ret < 0 ? ret : -EFAULT);

	/* Nothing of the run is pinned: page by page, PIN keeps the pages before the failing one */
	for (i = 0; n > 1 && i < n; i++) {
		ret = vfio_pin_pages(&vgpu->vdev, (dma_addr_t)(pfn + i) << PAGE_SHIFT, 1,
				     IOMMU_READ | IOMMU_WRITE, ce->batch);
		if (ret != 1)
			break;
		ret = vgpu_ce_hold(vgpu, pfn + i, 1);
		if (ret)
			return ret;
	}
	return i == n ? VGPU_CE_ERR_NONE : VGPU_CE_ERR_IOVA;
}

/* PIN: each run of pages not held yet, up to VGPU_CE_PIN_BATCH, is pinned at once. */
static int vgpu_ce_pin(struct vgpu_state *vgpu, u64 iova, u32 len)
{
	unsigned long pfn = iova >> PAGE_SHIFT, last = (iova + len - 1) >> PAGE_SHIFT;
	unsigned long end, next;
	int ret;

	while (pfn <= last) {
		if (xa_load(&vgpu->ce.pins, pfn)) {
			pfn++;
			continue;
		}
		/* the run ends before the next page held */
		end = min(last, pfn + VGPU_CE_PIN_BATCH - 1);
		next = pfn;
		if (!xa_find(&vgpu->ce.pins, &next, end, XA_PRESENT))
			next = end + 1;
		ret = vgpu_ce_pin_run(vgpu, pfn, next - pfn);
		if (ret)
			return ret;
		pfn = next;
	}
	return VGPU_CE_ERR_NONE;
}

/* Copy one piece that lies within one guest page and one VRAM page */
static int vgpu_ce_copy_piece(struct vgpu_state *vgpu, u64 iova, struct page *vpage,
			      unsigned int voff, unsigned int len, bool to_guest)
{
	dma_addr_t gpfn_iova = iova & PAGE_MASK;
	struct page *gpage;
	void *vaddr, *gaddr;
	int ret;

	if (!(vgpu->ce.ctrl & VGPU_CE_CTRL_USE_PIN)) {
		vaddr = kmap_local_page(vpage);
		ret = vfio_dma_rw(&vgpu->vdev, iova, vaddr + voff, len, to_guest);
		kunmap_local(vaddr);
		return ret;
	}
	ret = vfio_pin_pages(&vgpu->vdev, gpfn_iova, 1,
			     to_guest ? IOMMU_READ | IOMMU_WRITE : IOMMU_READ, &gpage);
	if (ret != 1)
		return ret < 0 ? ret : -EFAULT;
	vaddr = kmap_local_page(vpage);
	gaddr = kmap_local_page(gpage);
	if (to_guest)
		memcpy(gaddr + offset_in_page(iova), vaddr + voff, len);
	else
		memcpy(vaddr + voff, gaddr + offset_in_page(iova), len);
	kunmap_local(gaddr);
	kunmap_local(vaddr);
	vfio_unpin_pages(&vgpu->vdev, gpfn_iova, 1);
	return 0;
}

static int vgpu_ce_copy(struct vgpu_state *vgpu, u64 iova, u32 vram_off, u32 len,
			bool to_guest)
{
	unsigned int piece, voff;
	struct page *vpage;
	int ret;

	if ((u64)vram_off + len > vgpu->vram_size)
		return VGPU_CE_ERR_VRAM;
	while (len) {
		voff = offset_in_page(vram_off);
		piece = min3(len, (u32)(PAGE_SIZE - voff),
			     (u32)(PAGE_SIZE - offset_in_page(iova)));
		vpage = vgpu_vram_page(vgpu, vram_off >> PAGE_SHIFT);
		if (!vpage)
			return VGPU_CE_ERR_VRAM;
		ret = vgpu_ce_copy_piece(vgpu, iova, vpage, voff, piece, to_guest);
		put_page(vpage);
		if (ret) {
			vgpu_ce_vfio_failed(&vgpu->ce, ret);
			return VGPU_CE_ERR_IOVA;
		}
		iova += piece;
		vram_off += piece;
		len -= piece;
	}
	return VGPU_CE_ERR_NONE;
}

static int vgpu_ce_run(struct vgpu_state *vgpu)
{
	struct vgpu_ce *ce = &vgpu->ce;
	u64 end;

	if (vgpu_eeh_dma_stopped(vgpu))
		return VGPU_CE_ERR_FROZEN;
	if (ce->cmd < VGPU_CE_CMD_TO_VRAM || ce->cmd > VGPU_CE_CMD_UNPIN)
		return VGPU_CE_ERR_CMD;
	if (!ce->len || ce->len > VGPU_CE_MAX_LEN)
		return VGPU_CE_ERR_LEN;
	if (check_add_overflow(ce->iova, (u64)ce->len - 1, &end))
		return VGPU_CE_ERR_IOVA;

	switch (ce->cmd) {
	case VGPU_CE_CMD_TO_VRAM:
		return vgpu_ce_copy(vgpu, ce->iova, ce->vram_off, ce->len, false);
	case VGPU_CE_CMD_FROM_VRAM:
		return vgpu_ce_copy(vgpu, ce->iova, ce->vram_off, ce->len, true);
	case VGPU_CE_CMD_PIN:
		return vgpu_ce_pin(vgpu, ce->iova, ce->len);
	default:
		vgpu_ce_unpin_range(vgpu, ce->iova, ce->len);
		return VGPU_CE_ERR_NONE;
	}
}

static void vgpu_ce_doorbell(struct vgpu_state *vgpu)
{
	struct vgpu_ce *ce = &vgpu->ce;

	ce->vfio_errno = 0;
	ce->error = vgpu_ce_run(vgpu);
	ce->status |= VGPU_CE_STATUS_DONE;
	if (ce->error)
		ce->status |= VGPU_CE_STATUS_ERROR;
	/* an interrupt is a DMA write (MSI): none while DMA is stopped */
	if ((ce->ctrl & VGPU_CE_CTRL_IRQ) && !vgpu_eeh_dma_stopped(vgpu))
		vgpu_irq_raise(vgpu);
}

/**
 * vgpu_ce_read() - read a copy engine register
 * @vgpu: the instance
 * @reg: VGPU_CE_* offset in the MMIO BAR, 4-byte aligned
 *
 * Return: the register's value (0 for write-only or unknown registers).
 */
u32 vgpu_ce_read(struct vgpu_state *vgpu, unsigned int reg)
{
	struct vgpu_ce *ce = &vgpu->ce;

	lockdep_assert_held(&vgpu->lock);
	switch (reg) {
	case VGPU_CE_IOVA_LO:
		return lower_32_bits(ce->iova);
	case VGPU_CE_IOVA_HI:
		return upper_32_bits(ce->iova);
	case VGPU_CE_VRAM_OFF:
		return ce->vram_off;
	case VGPU_CE_LEN:
		return ce->len;
	case VGPU_CE_CMD:
		return ce->cmd;
	case VGPU_CE_CTRL:
		return ce->ctrl;
	case VGPU_CE_STATUS:
		return ce->status;
	case VGPU_CE_PINNED:
		return min_t(unsigned long, ce->nr_pinned, U32_MAX);
	case VGPU_CE_ERROR:
		return ce->error;
	case VGPU_CE_ERRNO:
		return ce->vfio_errno;
	default:
		return 0;
	}
}

/**
 * vgpu_ce_write() - write a copy engine register; the doorbell runs the command
 * @vgpu: the instance
 * @reg: VGPU_CE_* offset in the MMIO BAR, 4-byte aligned
 * @val: value
 */
void vgpu_ce_write(struct vgpu_state *vgpu, unsigned int reg, u32 val)
{
	struct vgpu_ce *ce = &vgpu->ce;

	lockdep_assert_held(&vgpu->lock);
	switch (reg) {
	case VGPU_CE_IOVA_LO:
		ce->iova = (ce->iova & GENMASK_ULL(63, 32)) | val;
		break;
	case VGPU_CE_IOVA_HI:
		ce->iova = (ce->iova & GENMASK_ULL(31, 0)) | (u64)val << 32;
		break;
	case VGPU_CE_VRAM_OFF:
		ce->vram_off = val;
		break;
	case VGPU_CE_LEN:
		ce->len = val;
		break;
	case VGPU_CE_CMD:
		ce->cmd = val;
		break;
	case VGPU_CE_CTRL:
		ce->ctrl = val & (VGPU_CE_CTRL_IRQ | VGPU_CE_CTRL_USE_PIN);
		break;
	case VGPU_CE_DOORBELL:
		vgpu_ce_doorbell(vgpu);
		break;
	case VGPU_CE_STATUS:
		ce->status &= ~val;
		break;
	default:
		break;	/* read-only */
	}
}
