// SPDX-License-Identifier: GPL-2.0-only
/*
 * The container ioctls of the type1 backend: copying the uAPI structures in and out,
 * checking argsz and flags, and dispatching to map.c, dirty.c and the info builder.
 *
 * Checks happen in the order the uAPI's users observe (stock order), so every input gets
 * the same errno: argsz and unknown flags first (-EINVAL), then the request against the
 * container under iommu->lock.
 * Locking: each handler takes iommu->lock itself where it reads the container.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "type1.h"

static bool type1_has_emulated(struct type1_iommu *iommu)
{
	bool ret;

	mutex_lock(&iommu->lock);
	ret = !list_empty(&iommu->emulated_groups);
	mutex_unlock(&iommu->lock);
	return ret;
}

static bool type1_cache_coherent(struct type1_iommu *iommu)
{
	struct type1_domain *d;
	bool ret = true;

	mutex_lock(&iommu->lock);
	list_for_each_entry(d, &iommu->domain_list, next)
		ret &= d->enforce_cache_coherency;
	mutex_unlock(&iommu->lock);
	return ret;
}

/* VFIO_CHECK_EXTENSION, also asked with no container (@iommu NULL). */
static int type1_check_extension(struct type1_iommu *iommu, unsigned long arg)
{
	switch (arg) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_TYPE1_NESTING_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_UPDATE_VADDR:
		/* Vendor drivers cannot pin while a vaddr is invalid */
		return iommu && !type1_has_emulated(iommu);
	case VFIO_DMA_CC_IOMMU:
		return iommu && type1_cache_coherent(iommu);
	default:
		return 0;
	}
}

static int type1_cap_iova_ranges(struct type1_iommu *iommu, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_info_cap_header *header;
	struct type1_iova *r;
	u32 n = 0, i = 0;

	list_for_each_entry(r, &iommu->iova_list, list)
		n++;
	/* No ranges while no physical group was attached: no capability */
	if (!n)
		return 0;

	header = vfio_info_cap_add(caps, struct_size(cap, iova_ranges, n),
				   VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR(header))
		return PTR_ERR(header);
	cap = container_of(header, struct vfio_iommu_type1_info_cap_iova_range, header);
	cap->nr_iovas = n;
	list_for_each_entry(r, &iommu->iova_list, list) {
		cap->iova_ranges[i].start = r->start;
		cap->iova_ranges[i].end = r->last;
		i++;
	}
	return 0;
}

static int type1_cap_migration(struct type1_iommu *iommu, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_cap_migration cap = {
		.header.id = VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
		.header.version = 1,
		.pgsize_bitmap = type1_pgsize(iommu),
		.max_dirty_bitmap_size = TYPE1_DIRTY_SIZE_MAX,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

static int type1_cap_dma_avail(struct type1_iommu *iommu, struct vfio_info_cap *caps)
{
	struct vfio_iommu_type1_info_dma_avail cap = {
		.header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
		.header.version = 1,
		.avail = iommu->dma_avail,
	};

	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

static int type1_build_caps(struct type1_iommu *iommu, struct vfio_info_cap *caps)
{
	int ret;

	mutex_lock(&iommu->lock);
	ret = type1_cap_migration(iommu, caps);
	if (!ret)
		ret = type1_cap_dma_avail(iommu, caps);
	if (!ret)
		ret = type1_cap_iova_ranges(iommu, caps);
	mutex_unlock(&iommu->lock);
	return ret;
}

/* VFIO_IOMMU_GET_INFO; argsz below cap_offset is accepted (old users), without caps. */
static int type1_get_info(struct type1_iommu *iommu, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	unsigned long capsz = offsetofend(struct vfio_iommu_type1_info, cap_offset);
	struct vfio_info_cap caps = {};
	struct vfio_iommu_type1_info info;
	int ret;

	if (copy_from_user(&info, (void __user *)arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.argsz >= capsz) {
		minsz = capsz;
		info.cap_offset = 0;
	}

	ret = type1_build_caps(iommu, &caps);
	if (ret)
		goto out_free;

	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	mutex_lock(&iommu->lock);
	info.iova_pgsizes = iommu->pgsize_bitmap;
	mutex_unlock(&iommu->lock);

	if (info.argsz < sizeof(info) + caps.size) {
		info.argsz = sizeof(info) + caps.size;
	} else {
		vfio_info_cap_shift(&caps, sizeof(info));
		ret = -EFAULT;
		if (copy_to_user((void __user *)arg + sizeof(info), caps.buf, caps.size))
			goto out_free;
		info.cap_offset = sizeof(info);
	}
	ret = copy_to_user((void __user *)arg, &info, minsz) ? -EFAULT : 0;
out_free:
	kfree(caps.buf);
	return ret;
}

/*
 * MAP_DMA's and UNMAP_DMA's structures, a VMM's most frequent ioctls, are read and written
 * a field at a time in one user access window rather than by copy_from_user(): no string
 * copy, which moves one byte per step where the CPU is emulated (TCG). The errno is
 * copy_from_user()'s: -EFAULT if any byte of the structure cannot be accessed.
 */
static int type1_get_dma_map(struct vfio_iommu_type1_dma_map *map, unsigned long arg)
{
	const struct vfio_iommu_type1_dma_map __user *umap = (void __user *)arg;

	if (!user_read_access_begin(umap, sizeof(*umap)))
		return -EFAULT;
	unsafe_get_user(map->argsz, &umap->argsz, efault);
	unsafe_get_user(map->flags, &umap->flags, efault);
	unsafe_get_user(map->vaddr, &umap->vaddr, efault);
	unsafe_get_user(map->iova, &umap->iova, efault);
	unsafe_get_user(map->size, &umap->size, efault);
	user_read_access_end();
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

static int type1_get_dma_unmap(struct vfio_iommu_type1_dma_unmap *unmap, unsigned long arg)
{
	const struct vfio_iommu_type1_dma_unmap __user *uunmap = (void __user *)arg;

	if (!user_read_access_begin(uunmap, sizeof(*uunmap)))
		return -EFAULT;
	unsafe_get_user(unmap->argsz, &uunmap->argsz, efault);
	unsafe_get_user(unmap->flags, &uunmap->flags, efault);
	unsafe_get_user(unmap->iova, &uunmap->iova, efault);
	unsafe_get_user(unmap->size, &uunmap->size, efault);
	user_read_access_end();
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

/* The whole structure back, as stock writes it, with the bytes unmapped in @size */
static int type1_put_dma_unmap(const struct vfio_iommu_type1_dma_unmap *unmap,
			       unsigned long arg)
{
	struct vfio_iommu_type1_dma_unmap __user *uunmap = (void __user *)arg;

	if (!user_write_access_begin(uunmap, sizeof(*uunmap)))
		return -EFAULT;
	unsafe_put_user(unmap->argsz, &uunmap->argsz, efault);
	unsafe_put_user(unmap->flags, &uunmap->flags, efault);
	unsafe_put_user(unmap->iova, &uunmap->iova, efault);
	unsafe_put_user(unmap->size, &uunmap->size, efault);
	user_write_access_end();
	return 0;
efault:
	user_write_access_end();
	return -EFAULT;
}

static int type1_ioctl_map(struct type1_iommu *iommu, unsigned long arg)
{
	u32 mask = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE |
		   VFIO_DMA_MAP_FLAG_VADDR;
	struct vfio_iommu_type1_dma_map map;

	if (type1_get_dma_map(&map, arg))
		return -EFAULT;
	if (map.argsz < sizeof(map) || map.flags & ~mask)
		return -EINVAL;
	return type1_dma_map(iommu, &map);
}

/* The vfio_bitmap after the unmap request, checked against its size. */
static int type1_unmap_bitmap(struct vfio_iommu_type1_dma_unmap *unmap,
			      unsigned long arg, unsigned long minsz,
			      struct vfio_bitmap *bitmap)
{
	if (unmap->flags & (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR))
		return -EINVAL;
	if (unmap->argsz < minsz + sizeof(*bitmap))
		return -EINVAL;
	if (copy_from_user(bitmap, (void __user *)(arg + minsz), sizeof(*bitmap)))
		return -EFAULT;
	if (!access_ok(bitmap->data, bitmap->size))
		return -EINVAL;
	return type1_dirty_check_size(unmap->size >> __ffs(bitmap->pgsize), bitmap->size);
}

static int type1_ioctl_unmap(struct type1_iommu *iommu, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	u32 mask = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_VADDR |
		   VFIO_DMA_UNMAP_FLAG_ALL;
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_bitmap bitmap = {};
	int ret;

	if (type1_get_dma_unmap(&unmap, arg))
		return -EFAULT;
	if (unmap.argsz < minsz || unmap.flags & ~mask)
		return -EINVAL;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		ret = type1_unmap_bitmap(&unmap, arg, minsz, &bitmap);
		if (ret)
			return ret;
	}

	ret = type1_dma_unmap(iommu, &unmap, &bitmap);
	if (ret)
		return ret;
	return type1_put_dma_unmap(&unmap, arg);
}

/* VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP: the range follows the flags. */
static int type1_dirty_get_bitmap(struct type1_iommu *iommu, unsigned long arg,
				  u32 argsz, unsigned long minsz)
{
	struct vfio_iommu_type1_dirty_bitmap_get range;
	size_t pgsize;
	int ret;

	if (argsz - minsz < sizeof(range))
		return -EINVAL;
	if (copy_from_user(&range, (void __user *)(arg + minsz), sizeof(range)))
		return -EFAULT;
	if (range.iova + range.size < range.iova)
		return -EINVAL;
	if (!access_ok(range.bitmap.data, range.bitmap.size))
		return -EINVAL;
	ret = type1_dirty_check_size(range.size >> __ffs(range.bitmap.pgsize),
				     range.bitmap.size);
	if (ret)
		return ret;

	mutex_lock(&iommu->lock);
	pgsize = type1_pgsize(iommu);
	/* Only the smallest page size, aligned, and only while tracking */
	if (range.bitmap.pgsize != pgsize || range.iova & (pgsize - 1) ||
	    !range.size || range.size & (pgsize - 1) || !iommu->dirty_tracking)
		ret = -EINVAL;
	else
		ret = type1_dirty_get(iommu, range.bitmap.data,
				      range.iova, range.size);
	mutex_unlock(&iommu->lock);
	return ret;
}

static int type1_ioctl_dirty(struct type1_iommu *iommu, unsigned long arg)
{
	unsigned long minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap, flags);
	u32 mask = VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
		   VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	struct vfio_iommu_type1_dirty_bitmap dirty;
	int ret = 0;

	if (!iommu->v2)
		return -EACCES;
	if (copy_from_user(&dirty, (void __user *)arg, minsz))
		return -EFAULT;
	if (dirty.argsz < minsz || dirty.flags & ~mask || hweight32(dirty.flags) != 1)
		return -EINVAL;

	switch (dirty.flags) {
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_START:
		mutex_lock(&iommu->lock);
		ret = type1_dirty_start(iommu);
		mutex_unlock(&iommu->lock);
		break;
	case VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP:
		mutex_lock(&iommu->lock);
		type1_dirty_stop(iommu);
		mutex_unlock(&iommu->lock);
		break;
	default:
		ret = type1_dirty_get_bitmap(iommu, arg, dirty.argsz, minsz);
		break;
	}
	return ret;
}

/**
 * type1_ioctl() - the @ioctl op
 * @iommu_data: the container, NULL for VFIO_CHECK_EXTENSION before VFIO_SET_IOMMU
 * @cmd: the ioctl
 * @arg: its user pointer or value
 *
 * Return: the ioctl's result, -ENOTTY for an unknown one.
 */
long type1_ioctl(void *iommu_data, unsigned int cmd, unsigned long arg)
{
	struct type1_iommu *iommu = iommu_data;

	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		return type1_check_extension(iommu, arg);
	case VFIO_IOMMU_GET_INFO:
		return type1_get_info(iommu, arg);
	case VFIO_IOMMU_MAP_DMA:
		return type1_ioctl_map(iommu, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return type1_ioctl_unmap(iommu, arg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return type1_ioctl_dirty(iommu, arg);
	default:
		return -ENOTTY;
	}
}
