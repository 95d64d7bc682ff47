// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOVA bitmaps: write a dirty bitmap straight into userspace memory.
 *
 * The user's bitmap is an array of u64 in which bit N (bit N % 64 of word N / 64) stands for
 * the IOVA page [iova + N * page_size, iova + (N + 1) * page_size). Rather than pinning all
 * of it, which may be gigabytes, it is walked in windows: a window is the run of words whose
 * memory fits in at most VFIO_BITMAP_WINDOW_PAGES pinned pages (2M of bitmap, 64G of IOVA
 * at 4K pages). iova_bitmap_for_each() pins one window at a time and hands its IOVA range
 * to a callback, which records dirty ranges with iova_bitmap_set(); bits are set through
 * kmap_local_page() of the pinned pages.
 *
 * Ranges are (iova, length); a range's last IOVA, iova + length - 1, may be ULONG_MAX.
 * Locking: none; one caller owns a bitmap from alloc to free, and the pinned pages are
 * only written by that caller.
 * Memory: the bitmap and one page of page pointers, whatever the size of the range.
 */
#include <linux/iova_bitmap.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>

#define VFIO_BITMAP_WINDOW_PAGES	(PAGE_SIZE / sizeof(struct page *))
#define VFIO_BITMAP_WORD		sizeof(u64)
#define VFIO_BITMAP_WORD_BITS		BITS_PER_TYPE(u64)

/**
 * struct iova_bitmap - a user bitmap walked one pinned window at a time
 * @iova: IOVA of bit 0 of the user bitmap
 * @length: length of the whole range
 * @pgshift: log2 of the IOVA size one bit stands for
 * @data: the user bitmap
 * @nr_words: words of @data the range needs
 * @win_word: index of the first word of the current window
 * @win_nr_words: words in the current window; 0 when none is pinned
 * @win_iova: IOVA of bit 0 of word @win_word
 * @win_length: length of the IOVA range the current window covers (never past the range)
 * @pgoff: offset of word @win_word in @pages[0]
 * @npages: pinned pages in @pages
 * @pages: the pinned pages of the current window (VFIO_BITMAP_WINDOW_PAGES slots)
 */
struct iova_bitmap {
	unsigned long iova;
	size_t length;
	unsigned long pgshift;
	u64 __user *data;
	unsigned long nr_words;
	unsigned long win_word;
	unsigned long win_nr_words;
	unsigned long win_iova;
	size_t win_length;
	unsigned long pgoff;
	unsigned long npages;
	struct page **pages;
};

/* Bits from IOVA @from, inside the range, to the end of the range */
static unsigned long iova_bitmap_bits_from(struct iova_bitmap *bitmap, unsigned long from)
{
	return ((bitmap->iova + bitmap->length - 1 - from) >> bitmap->pgshift) + 1;
}

static void iova_bitmap_unpin(struct iova_bitmap *bitmap)
{
	if (bitmap->npages)
		unpin_user_pages(bitmap->pages, bitmap->npages);
	bitmap->npages = 0;
	bitmap->win_nr_words = 0;
}

/* Set the window's IOVA range from @win_word and @win_nr_words */
static void iova_bitmap_window_range(struct iova_bitmap *bitmap)
{
	unsigned long first_bit = bitmap->win_word * VFIO_BITMAP_WORD_BITS;
	unsigned long win_bits = bitmap->win_nr_words * VFIO_BITMAP_WORD_BITS;

	/* The window starts inside the range, so neither sum overflows */
	bitmap->win_iova = bitmap->iova + (first_bit << bitmap->pgshift);
	if (!bitmap->length)
		bitmap->win_length = 0;
	else if (win_bits >= iova_bitmap_bits_from(bitmap, bitmap->win_iova))
		bitmap->win_length = bitmap->iova + bitmap->length - bitmap->win_iova;
	else
		bitmap->win_length = win_bits << bitmap->pgshift;
}

/*
 * Pin the window starting at word @win_word: as many of the remaining words as fit in
 * VFIO_BITMAP_WINDOW_PAGES pages, fewer if userspace maps fewer. A word cut by the end of
 * the pinned memory still belongs to the window; its bits past the end are not recorded.
 */
static int iova_bitmap_pin(struct iova_bitmap *bitmap)
{
	u64 __user *addr = bitmap->data + bitmap->win_word;
	unsigned long pgoff = offset_in_page(addr);
	unsigned long nr_words, max_words, bytes;
	long pinned;

	max_words = (VFIO_BITMAP_WINDOW_PAGES * PAGE_SIZE - pgoff) / VFIO_BITMAP_WORD;
	nr_words = min(bitmap->nr_words - bitmap->win_word, max_words);

	pinned = pin_user_pages_fast((unsigned long)addr,
				     DIV_ROUND_UP(pgoff + nr_words * VFIO_BITMAP_WORD, PAGE_SIZE),
				     FOLL_WRITE, bitmap->pages);
	if (pinned <= 0)
		return -EFAULT;

	bytes = pinned * PAGE_SIZE - pgoff;
	bitmap->npages = pinned;
	bitmap->pgoff = pgoff;
	bitmap->win_nr_words = min(nr_words, DIV_ROUND_UP(bytes, VFIO_BITMAP_WORD));
	iova_bitmap_window_range(bitmap);
	return 0;
}

/**
 * iova_bitmap_alloc() - set up the walk of a user bitmap and pin its first window
 * @iova: first IOVA of the range
 * @length: length of the range; iova + length - 1 must not wrap
 * @page_size: IOVA size one bit stands for, a power of two
 * @data: the user bitmap, (length / page_size) bits rounded up to whole u64
 *
 * An empty range still pins the first word and makes iova_bitmap_for_each() report one
 * empty window, as the stock core does.
 *
 * Return: the bitmap, or ERR_PTR(-ENOMEM) or ERR_PTR(-EFAULT) if @data cannot be pinned.
 */
struct iova_bitmap *iova_bitmap_alloc(unsigned long iova, size_t length,
				      unsigned long page_size, u64 __user *data)
{
	struct iova_bitmap *bitmap;
	int ret;

	bitmap = kzalloc(sizeof(*bitmap), GFP_KERNEL);
	if (!bitmap)
		return ERR_PTR(-ENOMEM);

	bitmap->iova = iova;
	bitmap->length = length;
	bitmap->pgshift = __ffs(page_size);
	bitmap->data = data;
	bitmap->nr_words = 1;
	if (length)
		bitmap->nr_words = DIV_ROUND_UP(iova_bitmap_bits_from(bitmap, iova),
						VFIO_BITMAP_WORD_BITS);

	bitmap->pages = kmalloc_array(VFIO_BITMAP_WINDOW_PAGES, sizeof(*bitmap->pages),
				      GFP_KERNEL);
	if (!bitmap->pages) {
		ret = -ENOMEM;
		goto err_free_bitmap;
	}

	ret = iova_bitmap_pin(bitmap);
	if (ret)
		goto err_free_pages;
	return bitmap;

err_free_pages:
	kfree(bitmap->pages);
err_free_bitmap:
	kfree(bitmap);
	return ERR_PTR(ret);
}

/**
 * iova_bitmap_free() - unpin what is pinned and free a bitmap
 * @bitmap: from iova_bitmap_alloc()
 */
void iova_bitmap_free(struct iova_bitmap *bitmap)
{
	iova_bitmap_unpin(bitmap);
	kfree(bitmap->pages);
	kfree(bitmap);
}

/**
 * iova_bitmap_for_each() - walk a bitmap window by window
 * @bitmap: from iova_bitmap_alloc()
 * @opaque: last argument of @fn
 * @fn: called with the IOVA range of each window while it is pinned; it records dirty
 *	parts of that range with iova_bitmap_set()
 *
 * Return: 0, the first error @fn returns, or -EFAULT if a window cannot be pinned.
 */
int iova_bitmap_for_each(struct iova_bitmap *bitmap, void *opaque, iova_bitmap_fn_t fn)
{
	unsigned long next;
	int ret;

	for (;;) {
		ret = fn(bitmap, bitmap->win_iova, bitmap->win_length, opaque);
		if (ret)
			return ret;

		next = bitmap->win_word + bitmap->win_nr_words;
		iova_bitmap_unpin(bitmap);
		if (next >= bitmap->nr_words)
			return 0;

		bitmap->win_word = next;
		ret = iova_bitmap_pin(bitmap);
		if (ret)
			return ret;
	}
}

/* Set @nbits bits from bit @bit of the pinned memory (bit 0 is bit 0 of @pages[0]) */
static void iova_bitmap_set_pinned(struct iova_bitmap *bitmap, unsigned long bit,
				   unsigned long nbits)
{
	const unsigned long page_bits = PAGE_SIZE * BITS_PER_BYTE;
	unsigned long idx, offset, n;
	void *kaddr;

	while (nbits) {
		idx = bit / page_bits;
		if (idx >= bitmap->npages)
			return;
		offset = bit % page_bits;
		n = min(nbits, page_bits - offset);

		kaddr = kmap_local_page(bitmap->pages[idx]);
		bitmap_set(kaddr, offset, n);
		kunmap_local(kaddr);

		bit += n;
		nbits -= n;
	}
}

/**
 * iova_bitmap_set() - record an IOVA range as dirty
 * @bitmap: the bitmap being walked
 * @iova: first IOVA of the range
 * @length: length of the range
 *
 * Sets the bits of every page the range touches. Only the part of the range inside the
 * window passed to the iova_bitmap_for_each() callback is recorded.
 *
 * Context: from an iova_bitmap_for_each() callback; does not sleep.
 */
void iova_bitmap_set(struct iova_bitmap *bitmap, unsigned long iova, size_t length)
{
	unsigned long start, first_bit, last_bit;

	/* Clip the range to the window, as offsets from its start */
	if (iova < bitmap->win_iova) {
		if (length <= bitmap->win_iova - iova)
			return;
		length -= bitmap->win_iova - iova;
		iova = bitmap->win_iova;
	}
	start = iova - bitmap->win_iova;
	if (!length || start >= bitmap->win_length)
		return;
	length = min(length, bitmap->win_length - start);

	first_bit = start >> bitmap->pgshift;
	last_bit = (start + length - 1) >> bitmap->pgshift;
	iova_bitmap_set_pinned(bitmap, bitmap->pgoff * BITS_PER_BYTE + first_bit,
			       last_bit - first_bit + 1);
}
EXPORT_SYMBOL_GPL(iova_bitmap_set);
