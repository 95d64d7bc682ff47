/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private declarations of the vGPU sample vendor driver (vgpu.ko).
 *
 * Objects, from the bottom up:
 *   struct vgpu_vram    the pages backing one simulated GPU's VRAM (vgpu_vram.c)
 *   struct vgpu_gpu     one simulated physical GPU: an mdev parent with its profiles and
 *                       the placement of instances in its VRAM (vgpu_gpu.c)
 *   struct vgpu_state   one vGPU instance (an mdev): a vfio_device whose PCI function is
 *                       split by concern into config space (vgpu_cfg.c), the MMIO BAR with
 *                       the bochs dispi registers (vgpu_mmio.c), the copy engine
 *                       (vgpu_ce.c), interrupts (vgpu_irq.c), the display export
 *                       (vgpu_display.c) and a model of EEH freezing (vgpu_eeh.c);
 *                       vgpu_device.c ties them to the VFIO uAPI.
 *
 * Lock order: state->lock -> gpu->lock -> vram->lock. state->lock covers every register
 * of one instance (config space, dispi, copy engine, interrupt state, display ids).
 * Lifetime: a vgpu_gpu lives from module load to unload; a vgpu_state from mdev probe to
 * the release of its vfio_device; its VRAM slice is reserved for exactly that long.
 */
#ifndef VGPU_H
#define VGPU_H

#include <linux/mdev.h>
#include <linux/mutex.h>
#include <linux/vfio.h>
#include <linux/xarray.h>

#include "vgpu_regs.h"

#define VGPU_SLOTS		8	/* placement granularity: 1/8 of a GPU's VRAM */
#define VGPU_NR_PROFILES	4
#define VGPU_CFG_SIZE		256

/* Device-specific region with the current scanout (the region plane), read-only */
#define VGPU_SCANOUT_REGION	VFIO_PCI_NUM_REGIONS
#define VGPU_NUM_REGIONS	(VGPU_SCANOUT_REGION + 1)
#define VGPU_SCANOUT_SUBTYPE	1

/* Offsets of the regions in the device fd: index << 40, as vfio-pci does */
#define VGPU_REGION_SHIFT	40
#define VGPU_REGION_OFFSET(i)	((u64)(i) << VGPU_REGION_SHIFT)
#define VGPU_REGION_INDEX(off)	((off) >> VGPU_REGION_SHIFT)
#define VGPU_REGION_MASK	(VGPU_REGION_OFFSET(1) - 1)

/* bochs VBE dispi register indexes, as bochs-drm uses them */
#define VBE_DISPI_INDEX_ID		0x0
#define VBE_DISPI_INDEX_XRES		0x1
#define VBE_DISPI_INDEX_YRES		0x2
#define VBE_DISPI_INDEX_BPP		0x3
#define VBE_DISPI_INDEX_ENABLE		0x4
#define VBE_DISPI_INDEX_BANK		0x5
#define VBE_DISPI_INDEX_VIRT_WIDTH	0x6
#define VBE_DISPI_INDEX_VIRT_HEIGHT	0x7
#define VBE_DISPI_INDEX_X_OFFSET	0x8
#define VBE_DISPI_INDEX_Y_OFFSET	0x9
#define VBE_DISPI_INDEX_VIDEO_MEMORY_64K 0xa
#define VBE_DISPI_INDEX_COUNT		0xb
#define VBE_DISPI_ID5			0xb0c5
#define VBE_DISPI_ENABLED		0x01

/**
 * struct vgpu_profile - a vGPU profile: one way of slicing a GPU
 * @name: sysfs name of the type
 * @slots: VRAM in eighths of the GPU
 * @max_x: widest mode
 * @max_y: tallest mode
 * @heads: display heads of the profile (advertised)
 */
struct vgpu_profile {
	const char *name;
	unsigned int slots;
	u32 max_x;
	u32 max_y;
	u32 heads;
};

extern const struct vgpu_profile vgpu_profiles[VGPU_NR_PROFILES];

/**
 * struct vgpu_vram - pages backing the VRAM of one GPU, allocated on first touch
 * @lock: protects @pages
 * @pages: one entry per page of VRAM, NULL until touched; each holds one reference
 * @npages: number of entries
 */
struct vgpu_vram {
	struct mutex lock;
	struct page **pages;
	unsigned long npages;
};

int vgpu_vram_init(struct vgpu_vram *vram, u64 size);
void vgpu_vram_destroy(struct vgpu_vram *vram);
struct page *vgpu_vram_get_page(struct vgpu_vram *vram, unsigned long pfn);
void vgpu_vram_scrub(struct vgpu_vram *vram, unsigned long first, unsigned long count);

struct vgpu_gpu;

/**
 * struct vgpu_type - an mdev type of one GPU
 * @type: the mdev type; its kobject lives in the GPU's parent
 * @profile: what the type slices off
 * @gpu: the GPU it belongs to
 */
struct vgpu_type {
	struct mdev_type type;
	const struct vgpu_profile *profile;
	struct vgpu_gpu *gpu;
};

/**
 * struct vgpu_gpu - one simulated physical GPU, an mdev parent
 * @dev: the parent device (in the vgpu class)
 * @parent: the mdev parent
 * @vram: the GPU's VRAM
 * @vram_size: bytes of VRAM
 * @types: one per profile
 * @mtypes: pointers to @types[i].type, as mdev_register_parent() wants them
 * @lock: protects @used and @fixed_slots
 * @used: VRAM slots taken by instances
 * @fixed_slots: homogeneous placement: slot count every instance has, 0 when empty
 */
struct vgpu_gpu {
	struct device dev;
	struct mdev_parent parent;
	struct vgpu_vram vram;
	u64 vram_size;
	struct vgpu_type types[VGPU_NR_PROFILES];
	struct mdev_type *mtypes[VGPU_NR_PROFILES];
	struct mutex lock;
	unsigned long used;
	unsigned int fixed_slots;
};

extern bool vgpu_homogeneous;

int vgpu_gpu_init(struct vgpu_gpu *gpu, u64 vram_size);
void vgpu_gpu_destroy(struct vgpu_gpu *gpu);
unsigned int vgpu_gpu_available(struct vgpu_gpu *gpu, const struct vgpu_profile *profile);
int vgpu_gpu_reserve(struct vgpu_gpu *gpu, const struct vgpu_profile *profile);
void vgpu_gpu_release(struct vgpu_gpu *gpu, unsigned int first, unsigned int slots);

/* Pages one vfio_pin_pages() call of PIN asks for (VFIO_PIN_PAGES_MAX_ENTRIES with 4 KiB pages) */
#define VGPU_CE_PIN_BATCH	512
static_assert(VGPU_CE_PIN_BATCH <= VFIO_PIN_PAGES_MAX_ENTRIES);

/**
 * struct vgpu_ce - copy engine registers and the pins it holds
 * @iova: VGPU_CE_IOVA_LO/HI
 * @vram_off: VGPU_CE_VRAM_OFF
 * @len: VGPU_CE_LEN
 * @cmd: VGPU_CE_CMD
 * @ctrl: VGPU_CE_CTRL
 * @status: VGPU_CE_STATUS
 * @error: VGPU_CE_ERROR
 * @vfio_errno: VGPU_CE_ERRNO
 * @pins: guest pfn -> pinned page, for PIN/UNPIN (one vfio pin each)
 * @nr_pinned: entries in @pins
 * @batch: the pages of one vfio_pin_pages() call of PIN
 */
struct vgpu_ce {
	u64 iova;
	u32 vram_off;
	u32 len;
	u32 cmd;
	u32 ctrl;
	u32 status;
	u32 error;
	u32 vfio_errno;
	struct xarray pins;
	unsigned long nr_pinned;
	struct page *batch[VGPU_CE_PIN_BATCH];
};

/**
 * struct vgpu_irq - interrupt state
 * @intx: INTx trigger, or NULL
 * @msi: MSI vector 0 trigger, or NULL
 * @req: device request trigger, or NULL
 * @intx_masked: INTx is masked (by the user, or automatically when it fires)
 */
struct vgpu_irq {
	struct eventfd_ctx *intx;
	struct eventfd_ctx *msi;
	struct eventfd_ctx *req;
	bool intx_masked;
};

/**
 * struct vgpu_eeh - the modelled EEH state of an instance (vgpu_eeh.c)
 * @io_frozen: trapped MMIO and config space reads return all ones, writes are dropped
 * @dma_frozen: the copy engine ends every command with VGPU_CE_ERR_FROZEN, no interrupt
 * @in_reset: a hot or fundamental reset is asserted (stops both, like a freeze)
 * @cfg_saved: @saved_cfg holds the config space of the last reset, for CONFIGURE
 * @saved_cfg: config space as it was when the reset was asserted
 * @registered: our VFIO core took the ops (not under the lock: set at probe, read at
 *	remove)
 */
struct vgpu_eeh {
	bool io_frozen;
	bool dma_frozen;
	bool in_reset;
	bool cfg_saved;
	u8 saved_cfg[VGPU_CFG_SIZE];
	bool registered;
};

/**
 * struct vgpu_mode - the scanout the dispi registers describe
 * @format: DRM fourcc, 0 when the display is off
 * @width: pixels
 * @height: lines
 * @stride: bytes per line
 * @offset: byte offset in VRAM
 * @size: bytes
 */
struct vgpu_mode {
	u32 format;
	u32 width;
	u32 height;
	u32 stride;
	u64 offset;
	u64 size;
};

/**
 * struct vgpu_state - one vGPU instance
 * @vdev: the VFIO device; its release frees the instance
 * @gpu: the GPU the instance's VRAM slice is on
 * @profile: its profile
 * @first_slot: its VRAM slice starts at this slot of @gpu
 * @vram_pfn: first page of the slice in @gpu's VRAM
 * @vram_size: bytes in the slice (the size of BAR0)
 * @dmabuf: the instance offers the dma-buf plane (the module parameter at its creation)
 * @scanout_size: bytes in @scanout, the size of VGPU_SCANOUT_REGION
 * @scanout: the region plane's buffer (vmalloc_user): set once, at its first use, with
 *           cmpxchg and no lock; written by plane queries under @lock, read without it
 * @lock: protects everything below
 * @cfg: emulated PCI config space
 * @cfg_wmask: writable bits of each byte of @cfg
 * @dispi: bochs dispi registers
 * @ce: copy engine
 * @irq: interrupts
 * @eeh: EEH state
 * @mode_id: dmabuf id of @mode_last
 * @mode_last: last scanout reported by VFIO_DEVICE_QUERY_GFX_PLANE
 */
struct vgpu_state {
	struct vfio_device vdev;
	struct vgpu_gpu *gpu;
	const struct vgpu_profile *profile;
	unsigned int first_slot;
	unsigned long vram_pfn;
	u64 vram_size;
	bool dmabuf;
	u64 scanout_size;
	void *scanout;
	struct mutex lock;
	u8 cfg[VGPU_CFG_SIZE];
	u8 cfg_wmask[VGPU_CFG_SIZE];
	u16 dispi[VBE_DISPI_INDEX_COUNT];
	struct vgpu_ce ce;
	struct vgpu_irq irq;
	struct vgpu_eeh eeh;
	u32 mode_id;
	struct vgpu_mode mode_last;
};

static inline struct vgpu_state *vdev_to_vgpu(struct vfio_device *vdev)
{
	return container_of(vdev, struct vgpu_state, vdev);
}

struct page *vgpu_vram_page(struct vgpu_state *vgpu, unsigned long pgoff);

int vgpu_probe(struct mdev_device *mdev);
void vgpu_remove(struct mdev_device *mdev);
void vgpu_reset(struct vgpu_state *vgpu);

void vgpu_cfg_init(struct vgpu_state *vgpu);
void vgpu_cfg_read(struct vgpu_state *vgpu, unsigned int off, void *buf, unsigned int len);
void vgpu_cfg_write(struct vgpu_state *vgpu, unsigned int off, const void *buf,
		    unsigned int len);
bool vgpu_cfg_intx_disabled(struct vgpu_state *vgpu);

void vgpu_mmio_reset(struct vgpu_state *vgpu);
void vgpu_mmio_read(struct vgpu_state *vgpu, unsigned int off, void *buf, unsigned int len);
void vgpu_mmio_write(struct vgpu_state *vgpu, unsigned int off, const void *buf,
		     unsigned int len);

void vgpu_ce_init(struct vgpu_ce *ce);
void vgpu_ce_reset(struct vgpu_state *vgpu);
u32 vgpu_ce_read(struct vgpu_state *vgpu, unsigned int reg);
void vgpu_ce_write(struct vgpu_state *vgpu, unsigned int reg, u32 val);
void vgpu_ce_unpin_range(struct vgpu_state *vgpu, u64 iova, u64 length);

int vgpu_irq_info(struct vgpu_state *vgpu, struct vfio_irq_info *info);
int vgpu_irq_set(struct vgpu_state *vgpu, struct vfio_irq_set *hdr, void __user *data);
void vgpu_irq_raise(struct vgpu_state *vgpu);
void vgpu_irq_request(struct vgpu_state *vgpu, unsigned int count);
void vgpu_irq_free(struct vgpu_state *vgpu);

void vgpu_eeh_register(struct vgpu_state *vgpu);
void vgpu_eeh_unregister(struct vgpu_state *vgpu);
void vgpu_eeh_clear(struct vgpu_state *vgpu);

/* Frozen or in reset: no register access reaches the function (vgpu->lock held) */
static inline bool vgpu_eeh_io_stopped(struct vgpu_state *vgpu)
{
	return vgpu->eeh.io_frozen || vgpu->eeh.in_reset;
}

/* Frozen or in reset: the copy engine does not run (vgpu->lock held) */
static inline bool vgpu_eeh_dma_stopped(struct vgpu_state *vgpu)
{
	return vgpu->eeh.dma_frozen || vgpu->eeh.in_reset;
}

void vgpu_display_init(struct vgpu_state *vgpu);
void vgpu_display_free(struct vgpu_state *vgpu);
int vgpu_display_mode(struct vgpu_state *vgpu, struct vgpu_mode *mode);
int vgpu_display_scanout_mmap(struct vgpu_state *vgpu, struct vm_area_struct *vma,
			      unsigned long pgoff);
long vgpu_display_query_plane(struct vgpu_state *vgpu, void __user *arg);
long vgpu_display_get_dmabuf(struct vgpu_state *vgpu, void __user *arg);
ssize_t vgpu_display_scanout_read(struct vgpu_state *vgpu, char __user *buf, size_t count,
				  u64 pos);

#endif /* VGPU_H */
