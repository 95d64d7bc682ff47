// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty page tracking for type1 containers (VFIO_IOMMU_DIRTY_PAGES, unmap with bitmap).
 *
 * While tracking is on, each mapping carries one bitmap with a bit per page of the
 * container's smallest page size, allocated at START (and at MAP_DMA for new mappings),
 * freed at STOP. A page is marked when a vendor driver pins it or writes it through
 * vfio_dma_rw(); pages pinned at START are marked then. Reading a range reports its bits,
 * then clears them and marks again the pages still pinned: a pinned page may be written
 * at any time. If any group of the container may write memory without pinning it
 * (num_non_pinned_groups), every page of a mapping pinned for the IOMMU is reported.
 *
 * Bounds: a mapping's bitmap covers at most INT_MAX pages (-EINVAL beyond), and the
 * bitmaps of one container together hold at most TYPE1_DIRTY_TOTAL_MAX bytes (-ENOMEM
 * beyond), charged to the caller's memory cgroup; so MAP_DMA cannot make START allocate
 * without bound.
 * Speed: a chunk bitmap has one bit per TYPE1_DIRTY_CHUNK_BITS bits of the bitmap, set
 * when one of them may be set, so that a read copies only those chunks, zeroes the user's
 * buffer for the rest, and clears only what it copied; the user's words are written one
 * u64 store at a time.
 *
 * Words: the user's bitmap is an array of u64 where bit (iova - base) / pgsize stands for
 * the page at iova; a mapping that does not start on a u64 boundary of it is shifted and
 * merged with the bits already written for the mapping before it.
 * Locking: iommu->lock protects the bitmaps and dirty_tracking.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "type1.h"

#define TYPE1_DIRTY_CHUNK_BITS	(PAGE_SIZE * BITS_PER_BYTE)
#define TYPE1_DIRTY_CHUNK_BYTES	PAGE_SIZE
#define TYPE1_DIRTY_TOTAL_MAX	SZ_1G

static unsigned long type1_dirty_shift(struct type1_iommu *iommu)
{
	return __ffs(iommu->pgsize_bitmap);
}

static u64 type1_dirty_nbits(struct type1_iommu *iommu, struct type1_dma *dma)
{
	return dma->size >> type1_dirty_shift(iommu);
}

/* Bytes of a mapping's bitmap: whole u64 words, as copied to the user. */
static size_t type1_dirty_bytes(u64 nbits)
{
	return TYPE1_DIRTY_BITMAP_BYTES(nbits);
}

static unsigned long type1_dirty_nchunks(u64 nbits)
{
	return DIV_ROUND_UP(nbits, TYPE1_DIRTY_CHUNK_BITS) ?: 1;
}

/* Set bits [first, first + n) of a mapping's bitmap and their chunks. */
static void type1_dirty_set(struct type1_dirty *dirty, unsigned long first, unsigned long n)
{
	unsigned long c;

	bitmap_set(dirty->bits, first, n);
	for (c = first / TYPE1_DIRTY_CHUNK_BITS;
	     c <= (first + n - 1) / TYPE1_DIRTY_CHUNK_BITS; c++)
		__set_bit(c, dirty->chunks);
}

/* Mark pages [@first, @first + @n) of a mapping, for a bitmap of pages of 1 << @shift. */
static void type1_dirty_mark_run(struct type1_dirty *dirty, unsigned long first,
				 unsigned long n, unsigned long shift)
{
	u64 bit = ((u64)first << PAGE_SHIFT) >> shift;
	u64 last = ((u64)(first + n - 1) << PAGE_SHIFT) >> shift;

	type1_dirty_set(dirty, bit, last - bit + 1);
}

/*
 * Mark the pages pinned for vendor drivers. One cursor walks the pins (xa_for_each would
 * start each step from the root: this runs for every mapping at each read, and vendor
 * drivers may hold 100,000 pins), and each run of consecutive pins is marked at once.
 */
static void type1_dirty_mark_pins(struct type1_iommu *iommu, struct type1_dma *dma)
{
	unsigned long shift = type1_dirty_shift(iommu), first = 0, n = 0;
	XA_STATE(xas, &dma->pins, 0);
	struct type1_pin *pin;

	lockdep_assert_held(&iommu->lock);
	rcu_read_lock();
	xas_for_each(&xas, pin, ULONG_MAX) {
		if (xas_retry(&xas, pin))
			continue;
		if (n && xas.xa_index == first + n) {
			n++;
			continue;
		}
		if (n)
			type1_dirty_mark_run(dma->dirty, first, n, shift);
		first = xas.xa_index;
		n = 1;
	}
	rcu_read_unlock();
	if (n)
		type1_dirty_mark_run(dma->dirty, first, n, shift);
}

/**
 * type1_dirty_alloc() - give a mapping its dirty bitmap
 * @iommu: the container, tracking or starting to
 * @dma: the mapping
 *
 * Return: 0, -EINVAL for a mapping over INT_MAX pages, -ENOMEM.
 */
int type1_dirty_alloc(struct type1_iommu *iommu, struct type1_dma *dma)
{
	u64 nbits = type1_dirty_nbits(iommu, dma);
	struct type1_dirty *dirty;
	size_t bytes;

	lockdep_assert_held(&iommu->lock);
	if (nbits > TYPE1_DIRTY_PAGES_MAX)
		return -EINVAL;
	bytes = type1_dirty_bytes(nbits);
	if (iommu->dirty_bytes + bytes > TYPE1_DIRTY_TOTAL_MAX)
		return -ENOMEM;

	/* the chunk bitmap is not counted: 1/32768 of the bitmap */
	dirty = kzalloc(struct_size(dirty, chunks, BITS_TO_LONGS(type1_dirty_nchunks(nbits))),
			GFP_KERNEL_ACCOUNT);
	if (!dirty)
		return -ENOMEM;
	dirty->bits = kvzalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!dirty->bits) {
		kfree(dirty);
		return -ENOMEM;
	}
	dma->dirty = dirty;
	iommu->dirty_bytes += bytes;
	type1_dirty_mark_pins(iommu, dma);
	return 0;
}

/**
 * type1_dirty_free() - drop a mapping's dirty bitmap, if any
 * @iommu: the container
 * @dma: the mapping
 */
void type1_dirty_free(struct type1_iommu *iommu, struct type1_dma *dma)
{
	if (!dma->dirty)
		return;
	iommu->dirty_bytes -= type1_dirty_bytes(type1_dirty_nbits(iommu, dma));
	kvfree(dma->dirty->bits);
	kfree(dma->dirty);
	dma->dirty = NULL;
}

/**
 * type1_dirty_start() - VFIO_IOMMU_DIRTY_PAGES_FLAG_START
 * @iommu: the container
 *
 * Return: 0 (also when already tracking) or the -errno of a bitmap allocation, with
 *         tracking still off.
 */
int type1_dirty_start(struct type1_iommu *iommu)
{
	struct type1_dma *dma, *undo;
	int ret;

	lockdep_assert_held(&iommu->lock);
	if (iommu->dirty_tracking)
		return 0;
	type1_for_each_dma(dma, iommu) {
		ret = type1_dirty_alloc(iommu, dma);
		if (ret)
			goto err_free;
	}
	iommu->dirty_tracking = true;
	return 0;

err_free:
	type1_for_each_dma(undo, iommu) {
		if (undo == dma)
			break;
		type1_dirty_free(iommu, undo);
	}
	return ret;
}

/**
 * type1_dirty_stop() - VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP
 * @iommu: the container
 */
void type1_dirty_stop(struct type1_iommu *iommu)
{
	struct type1_dma *dma;

	lockdep_assert_held(&iommu->lock);
	iommu->dirty_tracking = false;
	type1_for_each_dma(dma, iommu)
		type1_dirty_free(iommu, dma);
}

/**
 * type1_dirty_mark() - mark a range of a mapping dirty if tracking
 * @iommu: the container
 * @dma: the mapping
 * @iova: first IOVA written or pinned
 * @len: bytes, at least one
 */
void type1_dirty_mark(struct type1_iommu *iommu, struct type1_dma *dma,
		      dma_addr_t iova, size_t len)
{
	unsigned long shift = type1_dirty_shift(iommu);
	unsigned long first = (iova - dma->iova) >> shift;
	unsigned long last = (iova - dma->iova + len - 1) >> shift;

	lockdep_assert_held(&iommu->lock);
	if (dma->dirty)
		type1_dirty_set(dma->dirty, first, last - first + 1);
}

/**
 * type1_dirty_mark_all() - mark every page of every mapping dirty
 * @iommu: the container, tracking
 *
 * For when the last group that writes without pinning leaves: from then on only pinned
 * pages are reported, so everything it may have written is reported once now.
 */
void type1_dirty_mark_all(struct type1_iommu *iommu)
{
	struct type1_dma *dma;

	lockdep_assert_held(&iommu->lock);
	type1_for_each_dma(dma, iommu)
		if (dma->dirty && dma->size)
			type1_dirty_set(dma->dirty, 0, type1_dirty_nbits(iommu, dma));
}

/*
 * Write @words u64 of @src (zeros if NULL) to the user at @dst. One store per word: a
 * string instruction moves a byte per step under emulation (TCG), and clean chunks are
 * most of a large bitmap.
 */
static int type1_dirty_put_words(u64 __user *dst, const u64 *src, size_t words)
{
	size_t i;

	if (!user_access_begin(dst, words * sizeof(u64)))
		return -EFAULT;
	for (i = 0; i < words; i++)
		unsafe_put_user(src ? src[i] : 0, dst + i, efault);
	user_access_end();
	return 0;

efault:
	user_access_end();
	return -EFAULT;
}

/* Copy a bitmap that starts on a u64 boundary of the user's; unset chunks become zeros. */
static int type1_dirty_copy(struct type1_dirty *dirty, u64 nbits, u64 __user *dst)
{
	size_t words = BITS_TO_U64(nbits), per_chunk = TYPE1_DIRTY_CHUNK_BYTES / sizeof(u64);
	size_t off;
	int ret;

	for (off = 0; off < words; off += per_chunk) {
		size_t len = min_t(size_t, words - off, per_chunk);
		const u64 *src = NULL;

		if (test_bit(off / per_chunk, dirty->chunks))
			src = (const u64 *)dirty->bits + off;
		ret = type1_dirty_put_words(dst + off, src, len);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

/* Source word @k of a bitmap of @nwords words, 0 past its end. */
static u64 type1_dirty_word(struct type1_dirty *dirty, u64 k, u64 nwords)
{
	return k < nwords ? ((u64 *)dirty->bits)[k] : 0;
}

/*
 * Copy a bitmap @shift bits into the u64 at @dst, keeping the user's bits below @shift
 * (the mapping before this one) and zeroing the rest of the last word.
 */
static int type1_dirty_copy_shifted(struct type1_dirty *dirty, u64 nbits,
				    unsigned int shift, u64 __user *dst)
{
	u64 nwords = BITS_TO_U64(nbits), out = BITS_TO_U64(nbits + shift), k, left;
	u64 *buf, first;
	int ret = 0;

	if (get_user(first, dst))
		return -EFAULT;
	buf = (u64 *)__get_free_page(GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	for (k = 0; k < out; k += left) {
		u64 i;

		left = min_t(u64, out - k, PAGE_SIZE / sizeof(u64));
		for (i = 0; i < left; i++) {
			u64 w = k + i;

			buf[i] = type1_dirty_word(dirty, w, nwords) << shift;
			if (w)
				buf[i] |= type1_dirty_word(dirty, w - 1, nwords) >> (64 - shift);
			else
				buf[i] |= first & GENMASK_ULL(shift - 1, 0);
		}
		ret = type1_dirty_put_words(dst + k, buf, left);
		if (ret)
			break;
		cond_resched();
	}
	free_page((unsigned long)buf);
	return ret;
}

/**
 * type1_dirty_report() - write a mapping's dirty bits into a user bitmap
 * @iommu: the container, tracking
 * @dma: the mapping, inside the range the bitmap describes
 * @bitmap: the user's bitmap
 * @base_iova: the IOVA of bit 0 of @bitmap
 *
 * Return: 0 or -EFAULT/-ENOMEM.
 */
int type1_dirty_report(struct type1_iommu *iommu, struct type1_dma *dma,
		       u64 __user *bitmap, dma_addr_t base_iova)
{
	unsigned long pgshift = type1_dirty_shift(iommu);
	u64 nbits = type1_dirty_nbits(iommu, dma);
	u64 offset = (dma->iova - base_iova) >> pgshift;
	unsigned int shift = offset % 64;

	lockdep_assert_held(&iommu->lock);
	if (iommu->num_non_pinned_groups && dma->iommu_mapped)
		type1_dirty_set(dma->dirty, 0, nbits);

	if (shift)
		return type1_dirty_copy_shifted(dma->dirty, nbits, shift, bitmap + offset / 64);
	return type1_dirty_copy(dma->dirty, nbits, bitmap + offset / 64);
}

/* After a read: clear what was reported, mark again what stays pinned. */
static void type1_dirty_reset(struct type1_iommu *iommu, struct type1_dma *dma)
{
	size_t bytes = type1_dirty_bytes(type1_dirty_nbits(iommu, dma));
	unsigned long c, nchunks = DIV_ROUND_UP(bytes, TYPE1_DIRTY_CHUNK_BYTES);
	struct type1_dirty *dirty = dma->dirty;

	for_each_set_bit(c, dirty->chunks, nchunks) {
		size_t off = c * TYPE1_DIRTY_CHUNK_BYTES;

		memset((void *)dirty->bits + off, 0,
		       min_t(size_t, bytes - off, TYPE1_DIRTY_CHUNK_BYTES));
	}
	bitmap_zero(dirty->chunks, nchunks);
	type1_dirty_mark_pins(iommu, dma);
}

/**
 * type1_dirty_get() - VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP over [iova, iova + size)
 * @iommu: the container, tracking
 * @bitmap: the user's bitmap, large enough (checked by the caller)
 * @iova: first IOVA, aligned
 * @size: bytes, aligned, not zero, not wrapping
 *
 * The range must not bisect a mapping. Mappings are reported then reset one by one.
 *
 * Return: 0, -EINVAL for a bisected mapping, -EFAULT.
 */
int type1_dirty_get(struct type1_iommu *iommu, u64 __user *bitmap,
		    dma_addr_t iova, u64 size)
{
	dma_addr_t last = iova + size - 1;
	struct type1_dma *dma;
	int ret;

	lockdep_assert_held(&iommu->lock);
	dma = type1_dma_first(iommu, iova, last);
	if (type1_dma_bisects(iommu, dma, iova, last))
		return -EINVAL;

	for (; dma && dma->iova <= last; dma = type1_dma_next(dma)) {
		ret = type1_dirty_report(iommu, dma, bitmap, iova);
		if (ret)
			return ret;
		type1_dirty_reset(iommu, dma);
	}
	return 0;
}

/**
 * type1_dirty_check_size() - is a user bitmap of @bitmap_size bytes right for @npages
 * @npages: pages the bitmap describes
 * @bitmap_size: its size in bytes
 *
 * Return: 0 or -EINVAL (no pages, too short, over the advertised maximum).
 */
int type1_dirty_check_size(u64 npages, u64 bitmap_size)
{
	if (!npages || !bitmap_size || bitmap_size > TYPE1_DIRTY_SIZE_MAX ||
	    bitmap_size < TYPE1_DIRTY_BITMAP_BYTES(npages))
		return -EINVAL;
	return 0;
}
