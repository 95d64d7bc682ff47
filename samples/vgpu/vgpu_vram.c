// SPDX-License-Identifier: GPL-2.0-only
/*
 * VRAM of one simulated GPU: an array of pages allocated on first touch.
 *
 * Instances see their slice of it through BAR0 (mmap, no trap per access), the copy engine
 * and dma-bufs. Every user of a page (a mapping, a dma-buf, the copy engine) takes its own
 * page reference, so a page can be scrubbed out of the array while someone still holds it.
 * Locking: vram->lock protects the array; it is the innermost lock of the driver.
 * Lifetime: from vgpu_vram_init() to vgpu_vram_destroy(), i.e. the GPU's.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "vgpu.h"

/**
 * vgpu_vram_init() - set up an empty VRAM
 * @vram: to initialise
 * @size: bytes, a multiple of PAGE_SIZE
 *
 * Return: 0 or -ENOMEM.
 */
int vgpu_vram_init(struct vgpu_vram *vram, u64 size)
{
	mutex_init(&vram->lock);
	vram->npages = size >> PAGE_SHIFT;
	vram->pages = kvcalloc(vram->npages, sizeof(*vram->pages), GFP_KERNEL);
	return vram->pages ? 0 : -ENOMEM;
}

/**
 * vgpu_vram_scrub() - drop the pages of a range; the next touch sees zeroes
 * @vram: the VRAM
 * @first: first page
 * @count: pages
 */
void vgpu_vram_scrub(struct vgpu_vram *vram, unsigned long first, unsigned long count)
{
	unsigned long i;

	mutex_lock(&vram->lock);
	for (i = first; i < first + count && i < vram->npages; i++) {
		if (!vram->pages[i])
			continue;
		put_page(vram->pages[i]);
		vram->pages[i] = NULL;
	}
	mutex_unlock(&vram->lock);
}

/**
 * vgpu_vram_destroy() - free every page and the array
 * @vram: the VRAM
 */
void vgpu_vram_destroy(struct vgpu_vram *vram)
{
	vgpu_vram_scrub(vram, 0, vram->npages);
	kvfree(vram->pages);
	mutex_destroy(&vram->lock);
}

/**
 * vgpu_vram_get_page() - one page of VRAM, allocated (zeroed) if never touched
 * @vram: the VRAM
 * @pfn: page index in the VRAM
 *
 * Return: the page with a reference the caller must put, or NULL (out of range or memory).
 */
struct page *vgpu_vram_get_page(struct vgpu_vram *vram, unsigned long pfn)
{
	struct page *page;

	if (pfn >= vram->npages)
		return NULL;
	mutex_lock(&vram->lock);
	page = vram->pages[pfn];
	if (!page) {
		page = alloc_page(GFP_HIGHUSER | __GFP_ZERO);
		vram->pages[pfn] = page;
	}
	if (page)
		get_page(page);
	mutex_unlock(&vram->lock);
	return page;
}
