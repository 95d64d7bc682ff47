/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal AMD IOMMU programming for the QEMU DMA test (amd_v1_qemu_test.ko):
 * device table, command buffer and event log, enough to point one device at
 * an amdv1 page table. Only for a guest booted with amd_iommu=off, so that no
 * other driver owns the IOMMU.
 * Locking: none; the test runs from module init in one thread.
 */
#ifndef AMD_V1_QEMU_IOMMU_H
#define AMD_V1_QEMU_IOMMU_H

#include <linux/pci.h>
#include <linux/types.h>

/* §2.5.3: the event code of IO_PAGE_FAULT */
#define AMDV1_QI_EVT_IO_PAGE_FAULT	0x2

struct amdv1_qiommu {
	void __iomem *mmio;
	struct pci_dev *pdev;	/* the IOMMU's own PCI function */
	u64 *devtab;
	u64 *cmdbuf;
	u64 *evtlog;
	u64 *sem;		/* completion-wait store target */
	u32 cmd_tail;
	u32 evt_head;
};

int amdv1_qiommu_init(struct amdv1_qiommu *iommu);
void amdv1_qiommu_destroy(struct amdv1_qiommu *iommu);
int amdv1_qiommu_set_dte(struct amdv1_qiommu *iommu, u16 devid, u64 root,
			 unsigned int levels, bool ir, bool iw);
int amdv1_qiommu_flush(struct amdv1_qiommu *iommu);
unsigned int amdv1_qiommu_events(struct amdv1_qiommu *iommu, u16 devid,
				 unsigned int code);
bool amdv1_qiommu_target_abort(struct amdv1_qiommu *iommu);

#endif /* AMD_V1_QEMU_IOMMU_H */
