// SPDX-License-Identifier: GPL-2.0-only
/*
 * Display export of a vGPU instance: the scanout the guest programmed through the bochs
 * dispi registers, offered to the host as a VFIO gfx plane.
 *
 * DMABUF plane: VFIO_DEVICE_QUERY_GFX_PLANE names the scanout with an id that changes
 * whenever the mode does; VFIO_DEVICE_GET_GFX_DMABUF exports that scanout as a dma-buf
 * whose pages are the VRAM pages themselves (live content, no copy).
 * REGION plane: a device-specific, read-only region (VGPU_SCANOUT_REGION), big enough for
 * the profile's largest mode, that VFIO_DEVICE_QUERY_GFX_PLANE of the region type fills
 * with a copy of the current scanout, from its offset 0: readable and mmap-able, so QEMU's
 * display=on shows it without OpenGL. QEMU asks for the plane before each refresh.
 * The module parameter `dmabuf` (writable; latched by each instance at its creation) turns
 * the dma-buf plane off, which QEMU needs to take the region plane: it tries dma-buf first.
 * Locking: callers hold vgpu->lock except for the ioctl entry points, which take it, and
 * the region's read and mmap, which take no lock (see vgpu_scanout_buffer()).
 * Lifetime: a dma-buf holds its own references on its pages and nothing else of the
 * instance, so it may outlive the device, the instance and the VRAM slice. The region
 * buffer lives until the instance is freed; a mapping holds references on its pages.
 */
#include <drm/drm_fourcc.h>
#include <drm/drm_plane.h>
#include <linux/dma-buf.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "vgpu.h"

static bool vgpu_dmabuf_enabled = true;
module_param_named(dmabuf, vgpu_dmabuf_enabled, bool, 0644);
MODULE_PARM_DESC(dmabuf, "instances created from now on offer the dma-buf plane (default Y; N: region plane only, for QEMU display=on without OpenGL)");

/**
 * struct vgpu_dmabuf - the exporter's side of one dma-buf
 * @npages: pages in @pages
 * @pages: VRAM pages of the scanout, one reference each
 */
struct vgpu_dmabuf {
	unsigned long npages;
	struct page *pages[];
};

/**
 * vgpu_display_init() - display state of a new instance
 * @vgpu: the instance, with its profile set
 */
void vgpu_display_init(struct vgpu_state *vgpu)
{
	const struct vgpu_profile *profile = vgpu->profile;

	vgpu->dmabuf = READ_ONCE(vgpu_dmabuf_enabled);
	vgpu->scanout_size = PAGE_ALIGN((u64)profile->max_x * profile->max_y * 4);
}

/**
 * vgpu_display_free() - free the region plane's buffer
 * @vgpu: the instance, being released
 */
void vgpu_display_free(struct vgpu_state *vgpu)
{
	vfree(vgpu->scanout);
	vgpu->scanout = NULL;
}

/*
 * The region plane's buffer, allocated at its first use and published with cmpxchg: the
 * mmap path calls this under mmap_lock, so it must not take vgpu->lock, which is held
 * across user copies (and their faults) elsewhere.
 */
static void *vgpu_scanout_buffer(struct vgpu_state *vgpu)
{
	/* pairs with the cmpxchg below: a buffer seen is a buffer initialised */
	void *buf = smp_load_acquire(&vgpu->scanout), *old;

	if (buf)
		return buf;
	buf = vmalloc_user(vgpu->scanout_size);
	if (!buf)
		return NULL;
	old = cmpxchg(&vgpu->scanout, NULL, buf);
	if (old) {
		vfree(buf);
		return old;
	}
	return buf;
}

/* Copy the scanout @mode into the region plane's buffer */
static int vgpu_scanout_copy(struct vgpu_state *vgpu, const struct vgpu_mode *mode)
{
	u64 done, off, piece;
	struct page *page;
	char *dst;
	void *va;

	dst = vgpu_scanout_buffer(vgpu);
	if (!dst)
		return -ENOMEM;
	for (done = 0; done < mode->size; done += piece) {
		off = mode->offset + done;
		piece = min_t(u64, mode->size - done, PAGE_SIZE - offset_in_page(off));
		/* inside the slice (vgpu_display_mode() checked): NULL is out of memory */
		page = vgpu_vram_page(vgpu, off >> PAGE_SHIFT);
		if (!page)
			return -ENOMEM;
		va = kmap_local_page(page);
		memcpy(dst + done, va + offset_in_page(off), piece);
		kunmap_local(va);
		put_page(page);
	}
	return 0;
}

/**
 * vgpu_display_mode() - the scanout the dispi registers describe
 * @vgpu: the instance
 * @mode: filled; all zero when the display is off or misprogrammed
 *
 * Return: 0 when there is a scanout, -EINVAL when not.
 */
int vgpu_display_mode(struct vgpu_state *vgpu, struct vgpu_mode *mode)
{
	const struct vgpu_profile *profile = vgpu->profile;
	u16 *dispi = vgpu->dispi;
	u32 virt_width;

	lockdep_assert_held(&vgpu->lock);
	memset(mode, 0, sizeof(*mode));
	if (!(dispi[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED) ||
	    dispi[VBE_DISPI_INDEX_BPP] != 32)
		return -EINVAL;
	if (!dispi[VBE_DISPI_INDEX_XRES] || dispi[VBE_DISPI_INDEX_XRES] > profile->max_x ||
	    !dispi[VBE_DISPI_INDEX_YRES] || dispi[VBE_DISPI_INDEX_YRES] > profile->max_y)
		return -EINVAL;
	virt_width = max(dispi[VBE_DISPI_INDEX_VIRT_WIDTH], dispi[VBE_DISPI_INDEX_XRES]);
	mode->stride = virt_width * 4;
	mode->offset = (u64)dispi[VBE_DISPI_INDEX_Y_OFFSET] * mode->stride +
		       (u64)dispi[VBE_DISPI_INDEX_X_OFFSET] * 4;
	mode->size = (u64)mode->stride * dispi[VBE_DISPI_INDEX_YRES];
	if (mode->offset + mode->size > vgpu->vram_size) {
		memset(mode, 0, sizeof(*mode));
		return -EINVAL;
	}
	mode->format = DRM_FORMAT_XRGB8888;
	mode->width = dispi[VBE_DISPI_INDEX_XRES];
	mode->height = dispi[VBE_DISPI_INDEX_YRES];
	return 0;
}

/* The current scanout and its id; a new mode gets a new id */
static void vgpu_display_current(struct vgpu_state *vgpu, struct vgpu_mode *mode)
{
	lockdep_assert_held(&vgpu->lock);
	vgpu_display_mode(vgpu, mode);
	if (memcmp(mode, &vgpu->mode_last, sizeof(*mode))) {
		vgpu->mode_last = *mode;
		vgpu->mode_id++;
	}
}

/* The plane types of VFIO_DEVICE_QUERY_GFX_PLANE this instance serves */
static bool vgpu_display_offers(struct vgpu_state *vgpu, u32 type)
{
	return type == VFIO_GFX_PLANE_TYPE_REGION ||
	       (type == VFIO_GFX_PLANE_TYPE_DMABUF && vgpu->dmabuf);
}

/*
 * The region plane of @mode: copied into the region, or reported as no plane (zero format)
 * when the mode does not fit in it (a virtual width past the profile's widest mode).
 */
static int vgpu_display_region_plane(struct vgpu_state *vgpu, struct vgpu_mode *mode,
				     struct vfio_device_gfx_plane_info *plane)
{
	if (!mode->format)
		return 0;
	if (mode->size > vgpu->scanout_size) {
		memset(mode, 0, sizeof(*mode));
		return 0;
	}
	plane->region_index = VGPU_SCANOUT_REGION;
	return vgpu_scanout_copy(vgpu, mode);
}

/**
 * vgpu_display_query_plane() - VFIO_DEVICE_QUERY_GFX_PLANE
 * @vgpu: the instance
 * @arg: user pointer to struct vfio_device_gfx_plane_info
 *
 * Return: 0 or -errno. A disabled plane, and any dma-buf plane but the primary, is
 * reported as success with zero format and size, as the uAPI asks. A region query is
 * answered with the primary plane whatever its drm_plane_type (as QEMU leaves it 0).
 */
long vgpu_display_query_plane(struct vgpu_state *vgpu, void __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_gfx_plane_info, region_index);
	struct vfio_device_gfx_plane_info plane;
	struct vgpu_mode mode;
	int ret = 0;

	if (copy_from_user(&plane, arg, minsz))
		return -EFAULT;
	if (plane.argsz < minsz)
		return -EINVAL;
	if (plane.flags & VFIO_GFX_PLANE_TYPE_PROBE)
		return vgpu_display_offers(vgpu, plane.flags & ~VFIO_GFX_PLANE_TYPE_PROBE) ?
		       0 : -EINVAL;
	if (!vgpu_display_offers(vgpu, plane.flags))
		return -EINVAL;

	plane = (struct vfio_device_gfx_plane_info) {
		.argsz = plane.argsz,
		.flags = plane.flags,
		.drm_plane_type = plane.drm_plane_type,
	};
	/* the region plane is the primary one: QEMU asks for it with drm_plane_type 0 */
	if (plane.drm_plane_type == DRM_PLANE_TYPE_PRIMARY ||
	    plane.flags == VFIO_GFX_PLANE_TYPE_REGION) {
		mutex_lock(&vgpu->lock);
		vgpu_display_current(vgpu, &mode);
		if (plane.flags == VFIO_GFX_PLANE_TYPE_REGION)
			ret = vgpu_display_region_plane(vgpu, &mode, &plane);
		else if (mode.format)
			plane.dmabuf_id = vgpu->mode_id;
		mutex_unlock(&vgpu->lock);
		if (ret)
			return ret;
		plane.drm_format = mode.format;
		plane.width = mode.width;
		plane.height = mode.height;
		plane.stride = mode.stride;
		plane.size = PAGE_ALIGN(mode.size);
	}
	return copy_to_user(arg, &plane, minsz) ? -EFAULT : 0;
}

static struct sg_table *vgpu_dmabuf_map(struct dma_buf_attachment *at,
					enum dma_data_direction dir)
{
	struct vgpu_dmabuf *vbuf = at->dmabuf->priv;
	struct sg_table *sgt;
	int ret;

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	if (!sgt)
		return ERR_PTR(-ENOMEM);
	ret = sg_alloc_table_from_pages(sgt, vbuf->pages, vbuf->npages, 0,
					vbuf->npages << PAGE_SHIFT, GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = dma_map_sgtable(at->dev, sgt, dir, 0);
	if (ret)
		goto err_table;
	return sgt;

err_table:
	sg_free_table(sgt);
err_free:
	kfree(sgt);
	return ERR_PTR(ret);
}

static void vgpu_dmabuf_unmap(struct dma_buf_attachment *at, struct sg_table *sgt,
			      enum dma_data_direction dir)
{
	dma_unmap_sgtable(at->dev, sgt, dir, 0);
	sg_free_table(sgt);
	kfree(sgt);
}

static void vgpu_dmabuf_free(struct vgpu_dmabuf *vbuf, unsigned long npages)
{
	while (npages)
		put_page(vbuf->pages[--npages]);
	kvfree(vbuf);
}

static void vgpu_dmabuf_release(struct dma_buf *buf)
{
	struct vgpu_dmabuf *vbuf = buf->priv;

	vgpu_dmabuf_free(vbuf, vbuf->npages);
}

static vm_fault_t vgpu_dmabuf_fault(struct vm_fault *vmf)
{
	struct vgpu_dmabuf *vbuf = vmf->vma->vm_private_data;

	if (vmf->pgoff >= vbuf->npages)
		return VM_FAULT_SIGBUS;
	vmf->page = vbuf->pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct vgpu_dmabuf_vm_ops = {
	.fault = vgpu_dmabuf_fault,
};

static int vgpu_dmabuf_mmap(struct dma_buf *buf, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	vma->vm_ops = &vgpu_dmabuf_vm_ops;
	vma->vm_private_data = buf->priv;
	return 0;
}

static const struct dma_buf_ops vgpu_dmabuf_ops = {
	.map_dma_buf = vgpu_dmabuf_map,
	.unmap_dma_buf = vgpu_dmabuf_unmap,
	.release = vgpu_dmabuf_release,
	.mmap = vgpu_dmabuf_mmap,
};

static struct vgpu_dmabuf *vgpu_dmabuf_alloc(struct vgpu_state *vgpu,
					     const struct vgpu_mode *mode)
{
	unsigned long i, npages = PAGE_ALIGN(mode->size) >> PAGE_SHIFT;
	struct vgpu_dmabuf *vbuf;

	vbuf = kvzalloc(struct_size(vbuf, pages, npages), GFP_KERNEL);
	if (!vbuf)
		return NULL;
	for (i = 0; i < npages; i++) {
		vbuf->pages[i] = vgpu_vram_page(vgpu, (mode->offset >> PAGE_SHIFT) + i);
		if (!vbuf->pages[i]) {
			vgpu_dmabuf_free(vbuf, i);
			return NULL;
		}
	}
	vbuf->npages = npages;
	return vbuf;
}

static int vgpu_dmabuf_export(struct vgpu_dmabuf *vbuf)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dma_buf *buf;
	int fd;

	exp_info.ops = &vgpu_dmabuf_ops;
	exp_info.size = vbuf->npages << PAGE_SHIFT;
	exp_info.flags = O_RDWR;
	exp_info.priv = vbuf;
	buf = dma_buf_export(&exp_info);
	if (IS_ERR(buf)) {
		vgpu_dmabuf_free(vbuf, vbuf->npages);
		return PTR_ERR(buf);
	}
	/* From here on the dma-buf owns vbuf */
	fd = dma_buf_fd(buf, O_CLOEXEC);
	if (fd < 0)
		dma_buf_put(buf);
	return fd;
}

/**
 * vgpu_display_get_dmabuf() - VFIO_DEVICE_GET_GFX_DMABUF
 * @vgpu: the instance
 * @arg: user pointer to the u32 dmabuf id from VFIO_DEVICE_QUERY_GFX_PLANE
 *
 * Return: a new dma-buf fd, -ENOENT when the id is not the current scanout's, -EINVAL
 * when the scanout does not start on a page boundary or the instance offers no dma-buf
 * plane, or another -errno.
 */
long vgpu_display_get_dmabuf(struct vgpu_state *vgpu, void __user *arg)
{
	struct vgpu_dmabuf *vbuf = NULL;
	struct vgpu_mode mode;
	u32 id;
	int ret = 0;

	if (!vgpu->dmabuf)
		return -EINVAL;
	if (get_user(id, (u32 __user *)arg))
		return -EFAULT;
	mutex_lock(&vgpu->lock);
	vgpu_display_current(vgpu, &mode);
	if (!mode.format || id != vgpu->mode_id)
		ret = -ENOENT;
	else if (!PAGE_ALIGNED(mode.offset))
		ret = -EINVAL;
	else
		vbuf = vgpu_dmabuf_alloc(vgpu, &mode);
	mutex_unlock(&vgpu->lock);
	if (ret)
		return ret;
	if (!vbuf)
		return -ENOMEM;
	return vgpu_dmabuf_export(vbuf);
}

/**
 * vgpu_display_scanout_read() - read the scanout region
 * @vgpu: the instance
 * @buf: user destination
 * @count: bytes
 * @pos: offset in the region, below its size
 *
 * Return: bytes read: the copy of the scanout the last region plane query made (zeros
 * before the first), or -errno.
 */
ssize_t vgpu_display_scanout_read(struct vgpu_state *vgpu, char __user *buf, size_t count,
				  u64 pos)
{
	char *src = vgpu_scanout_buffer(vgpu);

	/* no lock: a query copying meanwhile tears the picture, as scanout does */
	if (!src)
		return -ENOMEM;
	return copy_to_user(buf, src + pos, count) ? -EFAULT : count;
}

/**
 * vgpu_display_scanout_mmap() - map the scanout region, read-only
 * @vgpu: the instance
 * @vma: the new mapping, shared
 * @pgoff: its first page in the region
 *
 * Return: 0, -EINVAL for a writable mapping or one past the region, -ENOMEM.
 */
int vgpu_display_scanout_mmap(struct vgpu_state *vgpu, struct vm_area_struct *vma,
			      unsigned long pgoff)
{
	void *src;

	if (vma->vm_flags & VM_WRITE)
		return -EINVAL;
	if (pgoff + vma_pages(vma) > vgpu->scanout_size >> PAGE_SHIFT)
		return -EINVAL;
	src = vgpu_scanout_buffer(vgpu);
	if (!src)
		return -ENOMEM;
	vma->vm_flags &= ~VM_MAYWRITE;
	return remap_vmalloc_range(vma, src, pgoff);
}
