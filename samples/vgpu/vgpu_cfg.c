// SPDX-License-Identifier: GPL-2.0-only
/*
 * Emulated PCI configuration space of a vGPU instance.
 *
 * A type 0 header with the bochs IDs (so bochs-drm binds), BAR0 = VRAM (32-bit prefetchable
 * memory, the size of the slice), BAR2 = MMIO (VGPU_MMIO_SIZE), INTx pin A and one MSI
 * capability (64-bit, one vector). Every byte has a mask of writable bits; a write keeps
 * the read-only bits, which gives BAR sizing (write all ones, read back the size mask) and
 * read-only IDs with no special cases. The function does no DMA through config space: its
 * DMA goes through the VFIO container, so bus mastering is recorded but not enforced.
 * Locking: callers hold vgpu->lock.
 */
#include <asm/unaligned.h>
#include <linux/pci_regs.h>
#include <linux/string.h>

#include "vgpu.h"

#define VGPU_MSI_CAP		0x40
#define VGPU_CLASS_DISPLAY_OTHER 0x038000

static void vgpu_cfg_set16(struct vgpu_state *vgpu, unsigned int off, u16 val, u16 wmask)
{
	put_unaligned_le16(val, &vgpu->cfg[off]);
	put_unaligned_le16(wmask, &vgpu->cfg_wmask[off]);
}

static void vgpu_cfg_set32(struct vgpu_state *vgpu, unsigned int off, u32 val, u32 wmask)
{
	put_unaligned_le32(val, &vgpu->cfg[off]);
	put_unaligned_le32(wmask, &vgpu->cfg_wmask[off]);
}

static void vgpu_cfg_init_header(struct vgpu_state *vgpu)
{
	u32 vram_mask = ~(u32)(vgpu->vram_size - 1) & PCI_BASE_ADDRESS_MEM_MASK;
	u32 mmio_mask = ~(u32)(VGPU_MMIO_SIZE - 1) & PCI_BASE_ADDRESS_MEM_MASK;

	vgpu_cfg_set16(vgpu, PCI_VENDOR_ID, VGPU_VENDOR_ID, 0);
	vgpu_cfg_set16(vgpu, PCI_DEVICE_ID, VGPU_DEVICE_ID, 0);
	vgpu_cfg_set16(vgpu, PCI_COMMAND, 0, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		       PCI_COMMAND_INTX_DISABLE);
	vgpu_cfg_set16(vgpu, PCI_STATUS, PCI_STATUS_CAP_LIST, 0);
	/* revision 1: no QEMU extended registers at 0x600 */
	vgpu_cfg_set32(vgpu, PCI_CLASS_REVISION, VGPU_CLASS_DISPLAY_OTHER << 8 | 0x01, 0);
	vgpu_cfg_set32(vgpu, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_SPACE_MEMORY |
		       PCI_BASE_ADDRESS_MEM_TYPE_32 | PCI_BASE_ADDRESS_MEM_PREFETCH, vram_mask);
	vgpu_cfg_set32(vgpu, PCI_BASE_ADDRESS_2, PCI_BASE_ADDRESS_SPACE_MEMORY |
		       PCI_BASE_ADDRESS_MEM_TYPE_32, mmio_mask);
	vgpu_cfg_set16(vgpu, PCI_SUBSYSTEM_VENDOR_ID, VGPU_VENDOR_ID, 0);
	vgpu_cfg_set16(vgpu, PCI_SUBSYSTEM_ID, VGPU_DEVICE_ID, 0);
	vgpu->cfg[PCI_CAPABILITY_LIST] = VGPU_MSI_CAP;
	vgpu->cfg[PCI_INTERRUPT_LINE] = 0;
	vgpu->cfg_wmask[PCI_INTERRUPT_LINE] = 0xff;
	vgpu->cfg[PCI_INTERRUPT_PIN] = 1;
}

static void vgpu_cfg_init_msi(struct vgpu_state *vgpu)
{
	unsigned int cap = VGPU_MSI_CAP;

	vgpu->cfg[cap + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSI;
	vgpu->cfg[cap + PCI_CAP_LIST_NEXT] = 0;
	/* one vector (MMC = 0), 64-bit addresses; only the enable bit is writable */
	vgpu_cfg_set16(vgpu, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT, PCI_MSI_FLAGS_ENABLE);
	vgpu_cfg_set32(vgpu, cap + PCI_MSI_ADDRESS_LO, 0, ~3u);
	vgpu_cfg_set32(vgpu, cap + PCI_MSI_ADDRESS_HI, 0, ~0u);
	vgpu_cfg_set16(vgpu, cap + PCI_MSI_DATA_64, 0, 0xffff);
}

/**
 * vgpu_cfg_init() - config space at creation and after reset
 * @vgpu: the instance; its VRAM slice size is known
 */
void vgpu_cfg_init(struct vgpu_state *vgpu)
{
	memset(vgpu->cfg, 0, sizeof(vgpu->cfg));
	memset(vgpu->cfg_wmask, 0, sizeof(vgpu->cfg_wmask));
	vgpu_cfg_init_header(vgpu);
	vgpu_cfg_init_msi(vgpu);
}

/**
 * vgpu_cfg_read() - read config space
 * @vgpu: the instance
 * @off: offset, with @off + @len <= VGPU_CFG_SIZE
 * @buf: destination
 * @len: bytes
 */
void vgpu_cfg_read(struct vgpu_state *vgpu, unsigned int off, void *buf, unsigned int len)
{
	lockdep_assert_held(&vgpu->lock);
	memcpy(buf, &vgpu->cfg[off], len);
}

/**
 * vgpu_cfg_write() - write config space; read-only bits keep their value
 * @vgpu: the instance
 * @off: offset, with @off + @len <= VGPU_CFG_SIZE
 * @buf: source
 * @len: bytes
 */
void vgpu_cfg_write(struct vgpu_state *vgpu, unsigned int off, const void *buf,
		    unsigned int len)
{
	const u8 *val = buf;
	unsigned int i;

	lockdep_assert_held(&vgpu->lock);
	for (i = 0; i < len; i++) {
		u8 wmask = vgpu->cfg_wmask[off + i];

		vgpu->cfg[off + i] = (vgpu->cfg[off + i] & ~wmask) | (val[i] & wmask);
	}
}

/**
 * vgpu_cfg_intx_disabled() - whether the command register disables INTx
 * @vgpu: the instance
 *
 * Return: true when PCI_COMMAND_INTX_DISABLE is set.
 */
bool vgpu_cfg_intx_disabled(struct vgpu_state *vgpu)
{
	lockdep_assert_held(&vgpu->lock);
	return get_unaligned_le16(&vgpu->cfg[PCI_COMMAND]) & PCI_COMMAND_INTX_DISABLE;
}
