// SPDX-License-Identifier: GPL-2.0-only
/*
 * A vGPU instance as a VFIO device: mdev probe/remove, the vfio_device_ops, the region
 * layout of the device fd and the ioctls. The PCI function behind it lives in the
 * concern files (config space, MMIO, copy engine, interrupts, display).
 *
 * Regions (at index << 40 in the device fd, as vfio-pci lays them out):
 *   BAR0     VRAM, the instance's slice of its GPU: read/write and mmap (pages faulted
 *            in from the GPU's VRAM, no trap per access)
 *   BAR2     MMIO, trapped (vgpu_mmio.c)
 *   CONFIG   256 bytes of emulated config space (vgpu_cfg.c)
 *   9        the REGION gfx plane: a copy of the scanout, read-only, read and mmap
 *            (vgpu_display.c)
 * The other PCI regions exist with size 0.
 * Locking: vgpu->lock around every access to the function's state.
 * Lifetime: probe reserves the VRAM slice (in the vfio_device init op) and registers the
 * device; remove unregisters it, which waits for the user to close it (asking through the
 * request interrupt); the last reference releases the slice and frees the instance.
 * Closing the device drops pins, interrupt triggers and any EEH freeze (vgpu_eeh.c) but
 * keeps VRAM and the display registers, as a GPU keeps its framebuffer until reset: a
 * host tool opening the device after the VM exits still finds the last frame.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vgpu.h"

/**
 * vgpu_vram_page() - a page of an instance's VRAM slice
 * @vgpu: the instance
 * @pgoff: page index in the slice
 *
 * Return: the page with a reference the caller puts, or NULL.
 */
struct page *vgpu_vram_page(struct vgpu_state *vgpu, unsigned long pgoff)
{
	if (pgoff >= vgpu->vram_size >> PAGE_SHIFT)
		return NULL;
	return vgpu_vram_get_page(&vgpu->gpu->vram, vgpu->vram_pfn + pgoff);
}

static u64 vgpu_region_size(struct vgpu_state *vgpu, unsigned int index)
{
	switch (index) {
	case VFIO_PCI_BAR0_REGION_INDEX:
		return vgpu->vram_size;
	case VGPU_SCANOUT_REGION:
		return vgpu->scanout_size;
	case VFIO_PCI_BAR2_REGION_INDEX:
		return VGPU_MMIO_SIZE;
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return VGPU_CFG_SIZE;
	default:
		return 0;
	}
}

/* One register access of 1, 2 or 4 bytes to config space or the MMIO BAR */
static int vgpu_reg_access(struct vgpu_state *vgpu, unsigned int index, unsigned int off,
			   char __user *ubuf, unsigned int len, bool write)
{
	u8 val[4];

	if (write && copy_from_user(val, ubuf, len))
		return -EFAULT;
	mutex_lock(&vgpu->lock);
	if (vgpu_eeh_io_stopped(vgpu))
		memset(val, 0xff, len);	/* frozen: reads return all ones, writes are dropped */
	else if (index == VFIO_PCI_CONFIG_REGION_INDEX && write)
		vgpu_cfg_write(vgpu, off, val, len);
	else if (index == VFIO_PCI_CONFIG_REGION_INDEX)
		vgpu_cfg_read(vgpu, off, val, len);
	else if (write)
		vgpu_mmio_write(vgpu, off, val, len);
	else
		vgpu_mmio_read(vgpu, off, val, len);
	mutex_unlock(&vgpu->lock);
	if (!write && copy_to_user(ubuf, val, len))
		return -EFAULT;
	return 0;
}

static ssize_t vgpu_regs_rw(struct vgpu_state *vgpu, unsigned int index, u64 off,
			    char __user *ubuf, size_t count, bool write)
{
	unsigned int len;
	size_t done = 0;
	int ret;

	while (done < count) {
		/* the largest naturally aligned access that fits, as a CPU would issue */
		if (count - done >= 4 && !((off + done) & 3))
			len = 4;
		else if (count - done >= 2 && !((off + done) & 1))
			len = 2;
		else
			len = 1;
		ret = vgpu_reg_access(vgpu, index, off + done, ubuf + done, len, write);
		if (ret)
			return ret;
		done += len;
	}
	return done;
}

static ssize_t vgpu_vram_rw(struct vgpu_state *vgpu, u64 off, char __user *ubuf,
			    size_t count, bool write)
{
	size_t done = 0, piece;
	struct page *page;
	unsigned long left;
	void *va;

	while (done < count) {
		piece = min_t(size_t, count - done, PAGE_SIZE - offset_in_page(off + done));
		page = vgpu_vram_page(vgpu, (off + done) >> PAGE_SHIFT);
		if (!page)
			return -ENOMEM;
		va = kmap_local_page(page) + offset_in_page(off + done);
		if (write)
			left = copy_from_user(va, ubuf + done, piece);
		else
			left = copy_to_user(ubuf + done, va, piece);
		kunmap_local(va);
		put_page(page);
		if (left)
			return -EFAULT;
		done += piece;
	}
	return done;
}

static ssize_t vgpu_rw(struct vfio_device *vdev, char __user *ubuf, size_t count,
		       loff_t *ppos, bool write)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);
	unsigned int index = VGPU_REGION_INDEX(*ppos);
	u64 off = *ppos & VGPU_REGION_MASK;
	ssize_t ret;

	if (index >= VGPU_NUM_REGIONS || off >= vgpu_region_size(vgpu, index) ||
	    count > vgpu_region_size(vgpu, index) - off)
		return -EINVAL;
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
	case VFIO_PCI_BAR2_REGION_INDEX:
		ret = vgpu_regs_rw(vgpu, index, off, ubuf, count, write);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		ret = vgpu_vram_rw(vgpu, off, ubuf, count, write);
		break;
	default:	/* VGPU_SCANOUT_REGION */
		ret = write ? -EINVAL : vgpu_display_scanout_read(vgpu, ubuf, count, off);
		break;
	}
	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t vgpu_read(struct vfio_device *vdev, char __user *buf, size_t count,
			 loff_t *ppos)
{
	return vgpu_rw(vdev, buf, count, ppos, false);
}

static ssize_t vgpu_write(struct vfio_device *vdev, const char __user *buf, size_t count,
			  loff_t *ppos)
{
	return vgpu_rw(vdev, (char __user *)buf, count, ppos, true);
}

static vm_fault_t vgpu_vram_fault(struct vm_fault *vmf)
{
	struct vgpu_state *vgpu = vmf->vma->vm_private_data;

	/* BAR0 is region 0, so the file page offset is the page in the slice */
	vmf->page = vgpu_vram_page(vgpu, vmf->pgoff);
	return vmf->page ? 0 : VM_FAULT_SIGBUS;
}

static const struct vm_operations_struct vgpu_vram_vm_ops = {
	.fault = vgpu_vram_fault,
};

static int vgpu_mmap(struct vfio_device *vdev, struct vm_area_struct *vma)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);
	unsigned long npages = vma_pages(vma);
	u64 index = VGPU_REGION_INDEX((u64)vma->vm_pgoff << PAGE_SHIFT);
	unsigned long pgoff = vma->vm_pgoff & (VGPU_REGION_MASK >> PAGE_SHIFT);

	/* BAR0 (VRAM) and the scanout region can be mapped */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (index == VGPU_SCANOUT_REGION)
		return vgpu_display_scanout_mmap(vgpu, vma, pgoff);
	if (index != VFIO_PCI_BAR0_REGION_INDEX)
		return -EINVAL;
	if (pgoff + npages > vgpu->vram_size >> PAGE_SHIFT)
		return -EINVAL;
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	vma->vm_ops = &vgpu_vram_vm_ops;
	vma->vm_private_data = vgpu;
	return 0;
}

static long vgpu_ioctl_device_info(struct vgpu_state *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VGPU_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static int vgpu_region_caps(struct vfio_region_info *info, struct vfio_info_cap *caps)
{
	struct vfio_region_info_cap_type cap = {
		.header.id = VFIO_REGION_INFO_CAP_TYPE,
		.header.version = 1,
		.type = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | VGPU_VENDOR_ID,
		.subtype = VGPU_SCANOUT_SUBTYPE,
	};

	if (info->index != VGPU_SCANOUT_REGION)
		return 0;
	info->flags |= VFIO_REGION_INFO_FLAG_CAPS;
	return vfio_info_add_capability(caps, &cap.header, sizeof(cap));
}

static long vgpu_ioctl_region_info(struct vgpu_state *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_region_info, offset);
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	struct vfio_region_info info;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	if (info.index >= VGPU_NUM_REGIONS)
		return -EINVAL;
	info.offset = VGPU_REGION_OFFSET(info.index);
	info.size = vgpu_region_size(vgpu, info.index);
	info.flags = 0;
	info.cap_offset = 0;
	if (info.size)
		info.flags = VFIO_REGION_INFO_FLAG_READ;
	if (info.size && info.index != VGPU_SCANOUT_REGION)
		info.flags |= VFIO_REGION_INFO_FLAG_WRITE;
	if (info.index == VFIO_PCI_BAR0_REGION_INDEX || info.index == VGPU_SCANOUT_REGION)
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
	ret = vgpu_region_caps(&info, &caps);
	if (ret)
		return ret;
	if (caps.size) {
		if (info.argsz < sizeof(info) + caps.size) {
			info.argsz = sizeof(info) + caps.size;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(arg + sizeof(info), caps.buf, caps.size))
				ret = -EFAULT;
			info.cap_offset = sizeof(info);
		}
		kfree(caps.buf);
	}
	if (!ret && copy_to_user(arg, &info, minsz))
		ret = -EFAULT;
	return ret;
}

static long vgpu_ioctl_irq_info(struct vgpu_state *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;
	int ret;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	ret = vgpu_irq_info(vgpu, &info);
	if (ret)
		return ret;
	return copy_to_user(arg, &info, minsz) ? -EFAULT : 0;
}

static long vgpu_ioctl_set_irqs(struct vgpu_state *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;

	if (copy_from_user(&hdr, arg, minsz))
		return -EFAULT;
	return vgpu_irq_set(vgpu, &hdr, arg + minsz);
}

/**
 * vgpu_reset() - the function's reset: registers and config space at power on, pins
 *	dropped; VRAM is kept
 * @vgpu: the instance
 */
void vgpu_reset(struct vgpu_state *vgpu)
{
	lockdep_assert_held(&vgpu->lock);
	vgpu_ce_reset(vgpu);
	vgpu_mmio_reset(vgpu);
	vgpu_cfg_init(vgpu);
	vgpu->irq.intx_masked = false;
}

static long vgpu_ioctl(struct vfio_device *vdev, unsigned int cmd, unsigned long arg)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vgpu_ioctl_device_info(vgpu, uarg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return vgpu_ioctl_region_info(vgpu, uarg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vgpu_ioctl_irq_info(vgpu, uarg);
	case VFIO_DEVICE_SET_IRQS:
		return vgpu_ioctl_set_irqs(vgpu, uarg);
	case VFIO_DEVICE_RESET:
		mutex_lock(&vgpu->lock);
		vgpu_reset(vgpu);
		mutex_unlock(&vgpu->lock);
		return 0;
	case VFIO_DEVICE_QUERY_GFX_PLANE:
		return vgpu_display_query_plane(vgpu, uarg);
	case VFIO_DEVICE_GET_GFX_DMABUF:
		return vgpu_display_get_dmabuf(vgpu, uarg);
	default:
		return -ENOTTY;
	}
}

static void vgpu_close_device(struct vfio_device *vdev)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);

	mutex_lock(&vgpu->lock);
	vgpu_ce_reset(vgpu);
	vgpu_irq_free(vgpu);
	vgpu_eeh_clear(vgpu);
	mutex_unlock(&vgpu->lock);
}

static void vgpu_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);

	mutex_lock(&vgpu->lock);
	vgpu_ce_unpin_range(vgpu, iova, length);
	mutex_unlock(&vgpu->lock);
}

static void vgpu_request(struct vfio_device *vdev, unsigned int count)
{
	vgpu_irq_request(vdev_to_vgpu(vdev), count);
}

/* vfio_device init op: place the instance on its GPU; undone by vgpu_release_dev() */
static int vgpu_init_dev(struct vfio_device *vdev)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct vgpu_type *type = container_of(mdev->type, struct vgpu_type, type);
	int first;

	first = vgpu_gpu_reserve(type->gpu, type->profile);
	if (first < 0)
		return first;
	vgpu->gpu = type->gpu;
	vgpu->profile = type->profile;
	vgpu->first_slot = first;
	vgpu->vram_size = type->gpu->vram_size / VGPU_SLOTS * type->profile->slots;
	vgpu->vram_pfn = (type->gpu->vram_size / VGPU_SLOTS * first) >> PAGE_SHIFT;
	mutex_init(&vgpu->lock);
	vgpu_ce_init(&vgpu->ce);
	vgpu_cfg_init(vgpu);
	vgpu_mmio_reset(vgpu);
	vgpu_display_init(vgpu);
	return 0;
}

static void vgpu_release_dev(struct vfio_device *vdev)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);

	vgpu_display_free(vgpu);
	vgpu_gpu_release(vgpu->gpu, vgpu->first_slot, vgpu->profile->slots);
	mutex_destroy(&vgpu->lock);
	vfio_free_device(vdev);
}

static const struct vfio_device_ops vgpu_dev_ops = {
	.name = "vgpu",
	.init = vgpu_init_dev,
	.release = vgpu_release_dev,
	.close_device = vgpu_close_device,
	.read = vgpu_read,
	.write = vgpu_write,
	.mmap = vgpu_mmap,
	.ioctl = vgpu_ioctl,
	.request = vgpu_request,
	.dma_unmap = vgpu_dma_unmap,
};

/**
 * vgpu_probe() - mdev probe: create and register an instance
 * @mdev: the new mdev
 *
 * Return: 0, -ENOSPC when its profile no longer fits on the GPU, or another -errno.
 */
int vgpu_probe(struct mdev_device *mdev)
{
	struct vgpu_state *vgpu;
	int ret;

	vgpu = vfio_alloc_device(vgpu_state, vdev, &mdev->dev, &vgpu_dev_ops);
	if (IS_ERR(vgpu))
		return PTR_ERR(vgpu);
	ret = vfio_register_emulated_iommu_dev(&vgpu->vdev);
	if (ret)
		goto err_put;
	vgpu_eeh_register(vgpu);
	dev_set_drvdata(&mdev->dev, vgpu);
	return 0;

err_put:
	vfio_put_device(&vgpu->vdev);
	return ret;
}

/**
 * vgpu_remove() - mdev remove: unregister (waits for the user to close) and put
 * @mdev: the mdev going away
 */
void vgpu_remove(struct mdev_device *mdev)
{
	struct vgpu_state *vgpu = dev_get_drvdata(&mdev->dev);

	vgpu_eeh_unregister(vgpu);
	vfio_unregister_group_dev(&vgpu->vdev);
	vfio_put_device(&vgpu->vdev);
}
