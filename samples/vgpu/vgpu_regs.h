/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Register interface of the vGPU sample's virtual PCI display function, as a guest (or a
 * test program going through the VFIO device fd) sees it. Shared by the driver, the guest
 * programs and the selftests; nothing here is kernel-only.
 *
 * BAR0: VRAM, this instance's slice, prefetchable memory, mmap-able.
 * BAR2: MMIO, 8 KiB: the bochs VBE "dispi" interface at 0x500 (what bochs-drm drives:
 *       16-bit registers at 0x500 + (index << 1)) and the copy engine at 0x1000.
 *
 * The copy engine moves data between guest memory (IOVAs in the container's address space)
 * and VRAM, or pins a guest range and keeps it pinned (as a GPU's page tables would) until
 * told to unpin or until the range is unmapped from the container. A write to CE_DOORBELL
 * runs the command in VGPU_CE_CMD; CE_STATUS says how it ended; with CE_CTRL_IRQ set a
 * completion raises MSI vector 0 (or INTx when MSI is off).
 */
#ifndef VGPU_REGS_H
#define VGPU_REGS_H

#define VGPU_VENDOR_ID		0x1234	/* the bochs IDs, so stock bochs-drm binds */
#define VGPU_DEVICE_ID		0x1111

#define VGPU_VRAM_BAR		0
#define VGPU_MMIO_BAR		2
#define VGPU_MMIO_SIZE		0x2000

#define VGPU_DISPI_BASE		0x500	/* + (VBE_DISPI_INDEX_* << 1), 16-bit */

#define VGPU_CE_BASE		0x1000
#define VGPU_CE_IOVA_LO		(VGPU_CE_BASE + 0x00)	/* guest address, low 32 bits */
#define VGPU_CE_IOVA_HI		(VGPU_CE_BASE + 0x04)	/* guest address, high 32 bits */
#define VGPU_CE_VRAM_OFF	(VGPU_CE_BASE + 0x08)	/* byte offset into VRAM */
#define VGPU_CE_LEN		(VGPU_CE_BASE + 0x0c)	/* bytes (COPY) or bytes (PIN/UNPIN) */
#define VGPU_CE_CMD		(VGPU_CE_BASE + 0x10)	/* one of VGPU_CE_CMD_* */
#define VGPU_CE_CTRL		(VGPU_CE_BASE + 0x14)	/* VGPU_CE_CTRL_* bits */
#define VGPU_CE_DOORBELL	(VGPU_CE_BASE + 0x18)	/* write any value: run VGPU_CE_CMD */
#define VGPU_CE_STATUS		(VGPU_CE_BASE + 0x1c)	/* VGPU_CE_STATUS_*; write 1s to clear */
#define VGPU_CE_PINNED		(VGPU_CE_BASE + 0x20)	/* read-only: pages the engine holds pinned */
#define VGPU_CE_ERROR		(VGPU_CE_BASE + 0x24)	/* read-only: VGPU_CE_ERR_* of the last command */
#define VGPU_CE_ERRNO		(VGPU_CE_BASE + 0x28)	/* read-only: errno of its first failed VFIO call */

#define VGPU_CE_CMD_TO_VRAM	1	/* copy LEN bytes guest IOVA -> VRAM_OFF */
#define VGPU_CE_CMD_FROM_VRAM	2	/* copy LEN bytes VRAM_OFF -> guest IOVA (dirties pages) */
#define VGPU_CE_CMD_PIN		3	/* pin the pages of [IOVA, IOVA + LEN) and hold them */
#define VGPU_CE_CMD_UNPIN	4	/* release held pins in [IOVA, IOVA + LEN) */

#define VGPU_CE_CTRL_IRQ	(1u << 0)	/* raise an interrupt on completion */
#define VGPU_CE_CTRL_USE_PIN	(1u << 1)	/* copy through vfio_pin_pages(), else vfio_dma_rw() */

#define VGPU_CE_STATUS_DONE	(1u << 0)
#define VGPU_CE_STATUS_ERROR	(1u << 1)

#define VGPU_CE_ERR_NONE	0
#define VGPU_CE_ERR_IOVA	1	/* the guest range is not mapped (or not writable) */
#define VGPU_CE_ERR_VRAM	2	/* VRAM_OFF + LEN runs past VRAM */
#define VGPU_CE_ERR_LEN		3	/* zero, or over VGPU_CE_MAX_LEN */
#define VGPU_CE_ERR_CMD		4	/* unknown command */
#define VGPU_CE_ERR_FROZEN	5	/* the device is frozen (EEH); nothing was done */

#define VGPU_CE_MAX_LEN		(64u << 20)

#endif /* VGPU_REGS_H */
