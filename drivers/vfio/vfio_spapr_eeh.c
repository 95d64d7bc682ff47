// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_spapr_eeh.ko: EEH on sPAPR for VFIO, on top of the kernel's EEH API (asm/eeh.h).
 *
 * Owns what <linux/vfio.h> declares for CONFIG_VFIO_SPAPR_EEH: vfio_spapr_pci_eeh_open()
 * and vfio_spapr_pci_eeh_release(), which vfio-pci calls around each use of a device, and
 * vfio_spapr_iommu_eeh_ioctl(), to which the sPAPR TCE IOMMU backend forwards
 * VFIO_CHECK_EXTENSION(VFIO_EEH) and VFIO_EEH_PE_OP for the group of a container. The
 * argument of VFIO_EEH_PE_OP is checked by vfio_eeh_pe_op_from_user() (drivers/vfio/eeh.c),
 * the same parser our core uses for devices that model EEH; this file only maps the
 * uAPI ops onto the platform's PE calls.
 * Locking and lifetime: nothing of its own. The EEH core serialises operations on a PE
 * and keeps the PE of a group; the backend calls in while the group is in its container.
 */
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_eeh.h>
#include <asm/eeh.h>

/**
 * vfio_spapr_pci_eeh_open - a PCI device is being opened through VFIO
 * @pdev: the device
 *
 * Tells the EEH core that the device's PE is passed through, so that errors on it are
 * left for the user to recover.
 */
void vfio_spapr_pci_eeh_open(struct pci_dev *pdev)
{
	eeh_dev_open(pdev);
}
EXPORT_SYMBOL_GPL(vfio_spapr_pci_eeh_open);

/**
 * vfio_spapr_pci_eeh_release - undo vfio_spapr_pci_eeh_open()
 * @pdev: the device, at its last close through VFIO
 */
void vfio_spapr_pci_eeh_release(struct pci_dev *pdev)
{
	eeh_dev_release(pdev);
}
EXPORT_SYMBOL_GPL(vfio_spapr_pci_eeh_release);

/* The EEH_OPT_* and EEH_RESET_* the uAPI's set-option and reset ops stand for */
static int vfio_spapr_eeh_option(u32 op)
{
	switch (op) {
	case VFIO_EEH_PE_DISABLE:
		return EEH_OPT_DISABLE;
	case VFIO_EEH_PE_ENABLE:
		return EEH_OPT_ENABLE;
	case VFIO_EEH_PE_UNFREEZE_IO:
		return EEH_OPT_THAW_MMIO;
	case VFIO_EEH_PE_UNFREEZE_DMA:
		return EEH_OPT_THAW_DMA;
	case VFIO_EEH_PE_RESET_DEACTIVATE:
		return EEH_RESET_DEACTIVATE;
	case VFIO_EEH_PE_RESET_HOT:
		return EEH_RESET_HOT;
	default:	/* VFIO_EEH_PE_RESET_FUNDAMENTAL */
		return EEH_RESET_FUNDAMENTAL;
	}
}

/* Runs one op that vfio_eeh_pe_op_from_user() let through on @pe */
static long vfio_spapr_eeh_pe_op(struct eeh_pe *pe, const struct vfio_eeh_pe_op *op)
{
	switch (op->op) {
	case VFIO_EEH_PE_DISABLE:
	case VFIO_EEH_PE_ENABLE:
	case VFIO_EEH_PE_UNFREEZE_IO:
	case VFIO_EEH_PE_UNFREEZE_DMA:
		return eeh_pe_set_option(pe, vfio_spapr_eeh_option(op->op));
	case VFIO_EEH_PE_GET_STATE:
		return eeh_pe_get_state(pe);
	case VFIO_EEH_PE_RESET_DEACTIVATE:
	case VFIO_EEH_PE_RESET_HOT:
	case VFIO_EEH_PE_RESET_FUNDAMENTAL:
		return eeh_pe_reset(pe, vfio_spapr_eeh_option(op->op), true);
	case VFIO_EEH_PE_CONFIGURE:
		return eeh_pe_configure(pe);
	default:	/* VFIO_EEH_PE_INJECT_ERR */
		return eeh_pe_inject_err(pe, op->err.type, op->err.func, op->err.addr,
					 op->err.mask);
	}
}

/**
 * vfio_spapr_iommu_eeh_ioctl - the EEH ioctls of a container, for the sPAPR backend
 * @group: the container's IOMMU group (NULL for VFIO_CHECK_EXTENSION)
 * @cmd: VFIO_CHECK_EXTENSION or VFIO_EEH_PE_OP
 * @arg: the extension, or the user's struct vfio_eeh_pe_op
 *
 * Return: for VFIO_CHECK_EXTENSION, 1 for VFIO_EEH while the platform has EEH enabled,
 * else 0. For VFIO_EEH_PE_OP, -ENODEV when @group has no PE, the parser's -EFAULT or
 * -EINVAL, or the EEH core's answer (the state for GET_STATE). -EINVAL for any other @cmd.
 */
long vfio_spapr_iommu_eeh_ioctl(struct iommu_group *group, unsigned int cmd,
				unsigned long arg)
{
	struct vfio_eeh_pe_op op;
	struct eeh_pe *pe;
	int ret;

	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
		return arg == VFIO_EEH && eeh_enabled() ? 1 : 0;
	case VFIO_EEH_PE_OP:
		pe = eeh_iommu_group_to_pe(group);
		if (!pe)
			return -ENODEV;
		ret = vfio_eeh_pe_op_from_user(&op, (void __user *)arg);
		if (ret)
			return ret;
		return vfio_spapr_eeh_pe_op(pe, &op);
	default:
		return -EINVAL;
	}
}
EXPORT_SYMBOL_GPL(vfio_spapr_iommu_eeh_ioctl);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO EEH for sPAPR (PE freeze, reset and recovery through the container)");
