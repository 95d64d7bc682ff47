// SPDX-License-Identifier: GPL-2.0-only
/*
 * The MMIO BAR (BAR2) of a vGPU instance, trapped: every access comes through the device
 * fd's read/write and lands here.
 *
 * Layout (as bochs-drm expects of an MMIO bochs function, revision 1):
 *   0x000-0x3ff  EDID block: none here, reads as zero (bochs-drm then offers its own modes)
 *   0x400-0x41f  VGA ports: accepted and ignored, read as zero
 *   0x500-0x515  bochs VBE dispi registers, 16-bit
 *   0x1000-      copy engine registers (vgpu_regs.h), 32-bit, handled by vgpu_ce.c
 * Accesses of the wrong width read as zero and are ignored on write, like a real device.
 * Locking: callers hold vgpu->lock.
 */
#include <asm/unaligned.h>
#include <linux/string.h>

#include "vgpu.h"

#define VGPU_DISPI_END	(VGPU_DISPI_BASE + VBE_DISPI_INDEX_COUNT * 2)
#define VGPU_CE_END	(VGPU_CE_ERRNO + 4)

/**
 * vgpu_mmio_reset() - dispi registers at power on: display off, ID and VRAM size set
 * @vgpu: the instance
 */
void vgpu_mmio_reset(struct vgpu_state *vgpu)
{
	memset(vgpu->dispi, 0, sizeof(vgpu->dispi));
	vgpu->dispi[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
	vgpu->dispi[VBE_DISPI_INDEX_VIDEO_MEMORY_64K] = vgpu->vram_size >> 16;
}

static bool vgpu_mmio_is_dispi(unsigned int off, unsigned int len)
{
	return off >= VGPU_DISPI_BASE && off < VGPU_DISPI_END && len == 2 && !(off & 1);
}

static bool vgpu_mmio_is_ce(unsigned int off, unsigned int len)
{
	return off >= VGPU_CE_BASE && off < VGPU_CE_END && len == 4 && !(off & 3);
}

/**
 * vgpu_mmio_read() - read from the MMIO BAR
 * @vgpu: the instance
 * @off: offset in the BAR, with @off + @len <= VGPU_MMIO_SIZE
 * @buf: destination
 * @len: 1, 2 or 4 (the device fd splits larger accesses)
 */
void vgpu_mmio_read(struct vgpu_state *vgpu, unsigned int off, void *buf, unsigned int len)
{
	lockdep_assert_held(&vgpu->lock);
	memset(buf, 0, len);
	if (vgpu_mmio_is_dispi(off, len))
		put_unaligned_le16(vgpu->dispi[(off - VGPU_DISPI_BASE) >> 1], buf);
	else if (vgpu_mmio_is_ce(off, len))
		put_unaligned_le32(vgpu_ce_read(vgpu, off), buf);
}

static void vgpu_mmio_dispi_write(struct vgpu_state *vgpu, unsigned int index, u16 val)
{
	switch (index) {
	case VBE_DISPI_INDEX_ID:
	case VBE_DISPI_INDEX_VIDEO_MEMORY_64K:
		break;	/* read-only here */
	default:
		vgpu->dispi[index] = val;
		break;
	}
}

/**
 * vgpu_mmio_write() - write to the MMIO BAR
 * @vgpu: the instance
 * @off: offset in the BAR, with @off + @len <= VGPU_MMIO_SIZE
 * @buf: source
 * @len: 1, 2 or 4
 */
void vgpu_mmio_write(struct vgpu_state *vgpu, unsigned int off, const void *buf,
		     unsigned int len)
{
	lockdep_assert_held(&vgpu->lock);
	if (vgpu_mmio_is_dispi(off, len))
		vgpu_mmio_dispi_write(vgpu, (off - VGPU_DISPI_BASE) >> 1,
				      get_unaligned_le16(buf));
	else if (vgpu_mmio_is_ce(off, len))
		vgpu_ce_write(vgpu, off, get_unaligned_le32(buf));
}
