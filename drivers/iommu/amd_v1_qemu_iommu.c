// SPDX-License-Identifier: GPL-2.0-only
/*
 * Minimal AMD IOMMU programming for the QEMU DMA test: find the IOMMU through
 * ACPI IVRS, give it a device table (bus 0), a command buffer and an event
 * log, enable it, write device table entries and flush.
 *
 * Reference: AMD IOMMU Specification #48882 rev 3.08: §2.2.2 device table
 * entry, §2.4 commands, §2.5 event log, §3.4 MMIO registers.
 * Lifetime: amdv1_qiommu_init() to amdv1_qiommu_destroy(); destroy disables
 * translation before freeing anything the IOMMU reads.
 */
#include <linux/acpi.h>
#include <linux/bitfield.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mem_encrypt.h>
#include <linux/pci.h>

#include "amd_v1_qemu_iommu.h"

/* §3.4: register block size and offsets */
#define QI_MMIO_SIZE		0x4000
#define QI_MMIO_DEVTAB		0x0000
#define QI_MMIO_CMDBUF		0x0008
#define QI_MMIO_EVTLOG		0x0010
#define QI_MMIO_CONTROL		0x0018
#define QI_MMIO_CMD_HEAD	0x2000
#define QI_MMIO_CMD_TAIL	0x2008
#define QI_MMIO_EVT_HEAD	0x2010
#define QI_MMIO_EVT_TAIL	0x2018

/* §3.4: base registers; sizes in 4 KiB units - 1 or log2(entries) */
#define QI_BASE_ADDR		GENMASK_ULL(51, 12)
#define QI_DEVTAB_SIZE		GENMASK_ULL(8, 0)
#define QI_RING_LEN		GENMASK_ULL(59, 56)
#define QI_PTR_OFFSET		GENMASK_ULL(18, 4)

/* §3.4: IOMMU Control Register */
#define QI_CTRL_IOMMU_EN	BIT_ULL(0)
#define QI_CTRL_EVTLOG_EN	BIT_ULL(2)
#define QI_CTRL_CMDBUF_EN	BIT_ULL(12)

/* Device table for bus 0: 256 entries of 32 bytes */
#define QI_DTE_BYTES		32
#define QI_DTE_WORDS		(QI_DTE_BYTES / sizeof(u64))
#define QI_DEVTAB_ENTRIES	256
#define QI_DEVTAB_ORDER		get_order(QI_DEVTAB_ENTRIES * QI_DTE_BYTES)

/* §2.2.2: device table entry, quadwords 0 and 1 */
#define QI_DTE_V		BIT_ULL(0)
#define QI_DTE_TV		BIT_ULL(1)
#define QI_DTE_MODE		GENMASK_ULL(11, 9)
#define QI_DTE_ROOT		GENMASK_ULL(51, 12)
#define QI_DTE_IR		BIT_ULL(61)
#define QI_DTE_IW		BIT_ULL(62)
#define QI_DTE_DOMAIN		GENMASK_ULL(15, 0)
#define QI_DOMAIN_ID		1

/* Command buffer and event log: one page each, 16-byte entries */
#define QI_ENTRY_BYTES		16
#define QI_RING_ENTRIES		(PAGE_SIZE / QI_ENTRY_BYTES)

/* §2.4: command opcodes and fields */
#define QI_CMD_OPCODE		GENMASK_ULL(63, 60)
#define QI_CMD_COMPLETION_WAIT	0x1
#define QI_CMD_INV_DEVTAB	0x2
#define QI_CMD_INV_PAGES	0x3
#define QI_CWAIT_STORE		BIT_ULL(0)
#define QI_CWAIT_ADDR		GENMASK_ULL(51, 3)
#define QI_CWAIT_DONE		0x600dULL
#define QI_INV_DEVID		GENMASK_ULL(15, 0)
#define QI_INV_DOMAIN		GENMASK_ULL(47, 32)
#define QI_INV_SIZE		BIT_ULL(0)
#define QI_INV_PDE		BIT_ULL(1)
/* §2.4.3: S=1 with every address bit but the top one set: the whole space */
#define QI_INV_ALL_ADDR		GENMASK_ULL(62, 12)
/* §2.5: event log entry, quadword 0 */
#define QI_EVT_DEVID		GENMASK_ULL(15, 0)
#define QI_EVT_CODE		GENMASK_ULL(63, 60)
#define QI_WAIT_US		100000

static u64 qi_phys(void *virt)
{
	return __sme_set(virt_to_phys(virt));
}

/* ACPI IVRS: the first IVHD block names the register base and the IOMMU's devid */
static int qi_find(struct amdv1_qiommu *iommu, u64 *base)
{
	struct acpi_table_header *tbl;
	struct acpi_ivrs_hardware_10 *ivhd;
	void *p, *end;
	acpi_status status;
	int ret = -ENODEV;

	status = acpi_get_table(ACPI_SIG_IVRS, 0, &tbl);
	if (ACPI_FAILURE(status))
		return -ENODEV;
	p = (void *)tbl + sizeof(struct acpi_table_ivrs);
	end = (void *)tbl + tbl->length;
	while (p + sizeof(*ivhd) <= end) {
		ivhd = p;
		if (ivhd->header.type == ACPI_IVRS_TYPE_HARDWARE1 ||
		    ivhd->header.type == ACPI_IVRS_TYPE_HARDWARE2 ||
		    ivhd->header.type == ACPI_IVRS_TYPE_HARDWARE3) {
			*base = ivhd->base_address;
			iommu->pdev = pci_get_domain_bus_and_slot(0,
					PCI_BUS_NUM(ivhd->header.device_id),
					ivhd->header.device_id & 0xff);
			ret = 0;
			break;
		}
		if (!ivhd->header.length)
			break;
		p += ivhd->header.length;
	}
	acpi_put_table(tbl);
	return ret;
}

static void qi_cmd(struct amdv1_qiommu *iommu, u64 c0, u64 c1)
{
	u64 *slot = iommu->cmdbuf + iommu->cmd_tail / sizeof(u64);

	slot[0] = c0;
	slot[1] = c1;
	iommu->cmd_tail = (iommu->cmd_tail + QI_ENTRY_BYTES) % PAGE_SIZE;
	/* the command must be in memory before the tail moves past it */
	wmb();
	writeq(iommu->cmd_tail, iommu->mmio + QI_MMIO_CMD_TAIL);
}

/* §2.4.1 COMPLETION_WAIT with a store: every earlier command has completed */
static int qi_sync(struct amdv1_qiommu *iommu)
{
	unsigned int us;

	WRITE_ONCE(*iommu->sem, 0);
	qi_cmd(iommu, FIELD_PREP(QI_CMD_OPCODE, QI_CMD_COMPLETION_WAIT) |
		      QI_CWAIT_STORE |
		      FIELD_PREP(QI_CWAIT_ADDR, qi_phys(iommu->sem) >> 3),
	       QI_CWAIT_DONE);
	for (us = 0; us < QI_WAIT_US; us += 10) {
		if (READ_ONCE(*iommu->sem) == QI_CWAIT_DONE)
			return 0;
		udelay(10);
	}
	return -ETIMEDOUT;
}

/**
 * amdv1_qiommu_flush() - invalidate the test domain's IOTLB and wait
 * @iommu: the IOMMU
 *
 * Return: 0, or -ETIMEDOUT if the IOMMU did not complete the commands.
 */
int amdv1_qiommu_flush(struct amdv1_qiommu *iommu)
{
	/* §2.4.3 INVALIDATE_IOMMU_PAGES, whole space, PDE caches too */
	qi_cmd(iommu, FIELD_PREP(QI_CMD_OPCODE, QI_CMD_INV_PAGES) |
		      FIELD_PREP(QI_INV_DOMAIN, QI_DOMAIN_ID),
	       QI_INV_ALL_ADDR | QI_INV_PDE | QI_INV_SIZE);
	return qi_sync(iommu);
}

/**
 * amdv1_qiommu_set_dte() - point a device at a page table, and flush
 * @iommu: the IOMMU
 * @devid: the device's requester ID (bus 0)
 * @root: root pointer as amdv1_pgtable_root() returns it
 * @levels: the table's depth (the DTE Mode)
 * @ir: allow reads (device to memory direction is a write)
 * @iw: allow writes
 *
 * Return: 0, -EINVAL for a devid beyond bus 0, -ETIMEDOUT.
 */
int amdv1_qiommu_set_dte(struct amdv1_qiommu *iommu, u16 devid, u64 root,
			 unsigned int levels, bool ir, bool iw)
{
	u64 *dte = iommu->devtab + devid * QI_DTE_WORDS;
	u64 val;

	if (devid >= QI_DEVTAB_ENTRIES)
		return -EINVAL;
	val = QI_DTE_V | QI_DTE_TV | FIELD_PREP(QI_DTE_MODE, levels) |
	      (root & QI_DTE_ROOT);
	if (ir)
		val |= QI_DTE_IR;
	if (iw)
		val |= QI_DTE_IW;
	WRITE_ONCE(dte[1], FIELD_PREP(QI_DTE_DOMAIN, QI_DOMAIN_ID));
	/* the entry turns valid last */
	wmb();
	WRITE_ONCE(dte[0], val);
	/* §2.4.2 INVALIDATE_DEVTAB_ENTRY */
	qi_cmd(iommu, FIELD_PREP(QI_CMD_OPCODE, QI_CMD_INV_DEVTAB) |
		      FIELD_PREP(QI_INV_DEVID, devid), 0);
	return amdv1_qiommu_flush(iommu);
}

/**
 * amdv1_qiommu_events() - consume the event log, count one kind of event
 * @iommu: the IOMMU
 * @devid: the device whose events are counted
 * @code: the event code counted (§2.5), e.g. AMDV1_QI_EVT_IO_PAGE_FAULT
 *
 * Prints the tail register and every new entry (§2.5), and moves the head
 * past them.
 *
 * Return: the number of new entries with @code for @devid.
 */
unsigned int amdv1_qiommu_events(struct amdv1_qiommu *iommu, u16 devid,
				 unsigned int code)
{
	u32 tail = readq(iommu->mmio + QI_MMIO_EVT_TAIL) & QI_PTR_OFFSET;
	unsigned int n = 0;
	u64 *evt;

	pr_info("amdv1_qemu: # event log head 0x%x tail 0x%x\n",
		iommu->evt_head, tail);
	while (iommu->evt_head != tail) {
		evt = iommu->evtlog + iommu->evt_head / sizeof(u64);
		pr_info("amdv1_qemu: # event 0x%016llx 0x%016llx\n", evt[0],
			evt[1]);
		if (FIELD_GET(QI_EVT_DEVID, evt[0]) == devid &&
		    FIELD_GET(QI_EVT_CODE, evt[0]) == code)
			n++;
		iommu->evt_head = (iommu->evt_head + QI_ENTRY_BYTES) % PAGE_SIZE;
	}
	writeq(iommu->evt_head, iommu->mmio + QI_MMIO_EVT_HEAD);
	return n;
}

/**
 * amdv1_qiommu_target_abort() - read and clear "signaled target abort"
 * @iommu: the IOMMU
 *
 * QEMU's amd-iommu sets this bit in its own PCI status when its page walk
 * reports an I/O page fault, whether or not the event log gets the entry.
 *
 * Return: whether the bit was set.
 */
bool amdv1_qiommu_target_abort(struct amdv1_qiommu *iommu)
{
	u16 status;

	if (!iommu->pdev)
		return false;
	pci_read_config_word(iommu->pdev, PCI_STATUS, &status);
	if (!(status & PCI_STATUS_SIG_TARGET_ABORT))
		return false;
	pci_write_config_word(iommu->pdev, PCI_STATUS,
			      PCI_STATUS_SIG_TARGET_ABORT);
	return true;
}

static void qi_free_rings(struct amdv1_qiommu *iommu)
{
	free_page((unsigned long)iommu->sem);
	free_page((unsigned long)iommu->evtlog);
	free_page((unsigned long)iommu->cmdbuf);
	free_pages((unsigned long)iommu->devtab, QI_DEVTAB_ORDER);
}

/**
 * amdv1_qiommu_init() - find the IOMMU and enable it with an empty device table
 * @iommu: zeroed by the caller
 *
 * Every device table entry starts invalid (V=0): those devices are not
 * translated, so only the devices given an entry are affected.
 *
 * Return: 0, -ENODEV without an IVRS IOMMU, -ENOMEM, -ETIMEDOUT.
 */
int amdv1_qiommu_init(struct amdv1_qiommu *iommu)
{
	u64 base;
	int ret;

	ret = qi_find(iommu, &base);
	if (ret)
		return ret;
	iommu->devtab = (u64 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
						QI_DEVTAB_ORDER);
	iommu->cmdbuf = (u64 *)get_zeroed_page(GFP_KERNEL);
	iommu->evtlog = (u64 *)get_zeroed_page(GFP_KERNEL);
	iommu->sem = (u64 *)get_zeroed_page(GFP_KERNEL);
	ret = -ENOMEM;
	if (!iommu->devtab || !iommu->cmdbuf || !iommu->evtlog || !iommu->sem)
		goto err_free_rings;
	iommu->mmio = ioremap(base, QI_MMIO_SIZE);
	if (!iommu->mmio)
		goto err_free_rings;

	writeq(0, iommu->mmio + QI_MMIO_CONTROL);
	writeq(qi_phys(iommu->devtab) |
	       FIELD_PREP(QI_DEVTAB_SIZE, BIT(QI_DEVTAB_ORDER) - 1),
	       iommu->mmio + QI_MMIO_DEVTAB);
	writeq(qi_phys(iommu->cmdbuf) |
	       FIELD_PREP(QI_RING_LEN, ilog2(QI_RING_ENTRIES)),
	       iommu->mmio + QI_MMIO_CMDBUF);
	writeq(qi_phys(iommu->evtlog) |
	       FIELD_PREP(QI_RING_LEN, ilog2(QI_RING_ENTRIES)),
	       iommu->mmio + QI_MMIO_EVTLOG);
	writeq(0, iommu->mmio + QI_MMIO_CMD_HEAD);
	writeq(0, iommu->mmio + QI_MMIO_CMD_TAIL);
	writeq(0, iommu->mmio + QI_MMIO_EVT_HEAD);
	writeq(0, iommu->mmio + QI_MMIO_EVT_TAIL);
	writeq(QI_CTRL_IOMMU_EN | QI_CTRL_EVTLOG_EN | QI_CTRL_CMDBUF_EN,
	       iommu->mmio + QI_MMIO_CONTROL);
	amdv1_qiommu_target_abort(iommu);

	ret = qi_sync(iommu);
	if (ret)
		goto err_disable;
	return 0;

err_disable:
	writeq(0, iommu->mmio + QI_MMIO_CONTROL);
	iounmap(iommu->mmio);
err_free_rings:
	qi_free_rings(iommu);
	pci_dev_put(iommu->pdev);
	return ret;
}

/**
 * amdv1_qiommu_destroy() - disable the IOMMU and free its structures
 * @iommu: from a successful amdv1_qiommu_init()
 */
void amdv1_qiommu_destroy(struct amdv1_qiommu *iommu)
{
	writeq(0, iommu->mmio + QI_MMIO_CONTROL);
	iounmap(iommu->mmio);
	qi_free_rings(iommu);
	pci_dev_put(iommu->pdev);
}
