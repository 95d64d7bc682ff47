// SPDX-License-Identifier: GPL-2.0-only
/*
 * What other kernel code may ask of a VFIO group file. KVM's kvm-vfio device finds these
 * with symbol_get() when userspace adds a group fd to a VM: it hands the group its KVM
 * (which the group's drivers see as device->kvm at their next first open) and asks
 * whether DMA through the group is cache coherent, to decide whether the guest may
 * execute WBINVD.
 *
 * Locking: each takes the group's lock; the caller holds a reference on the file, which
 * keeps the group's memory alive.
 *
 * linux/compat.h and linux/pci.h complete types reachable from struct vfio_device that
 * the stock CRCs of this file's exports were computed over (see feature.c).
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio.h>

#include "vfio_core.h"

/**
 * vfio_file_is_group - whether a file is a VFIO group file
 * @file: any file
 *
 * Return: true for a /dev/vfio/N file.
 */
bool vfio_file_is_group(struct file *file)
{
	return file->f_op == &vfio_group_fops;
}
EXPORT_SYMBOL_GPL(vfio_file_is_group);

/**
 * vfio_file_iommu_group - the iommu_group of a VFIO group file
 * @file: a VFIO group file
 *
 * Only KVM's sPAPR TCE code needs it, so on kernels without SPAPR_TCE_IOMMU this always
 * returns NULL, as the stock core does.
 *
 * Return: the iommu_group with a reference the caller must put, or NULL.
 */
struct iommu_group *vfio_file_iommu_group(struct file *file)
{
	struct vfio_group *group = file->private_data;
	struct iommu_group *iommu_group = NULL;

	if (!IS_ENABLED(CONFIG_SPAPR_TCE_IOMMU) || !vfio_file_is_group(file))
		return NULL;

	mutex_lock(&group->lock);
	if (group->iommu_group) {
		iommu_group = group->iommu_group;
		iommu_group_ref_get(iommu_group);
	}
	mutex_unlock(&group->lock);
	return iommu_group;
}
EXPORT_SYMBOL_GPL(vfio_file_iommu_group);

/**
 * vfio_file_enforced_coherent - whether DMA through a group is always cache coherent
 * @file: a VFIO group file
 *
 * Coherency is known only once the group is in a container with an IOMMU backend; until
 * then the answer is true, so the user has to set up the container before being trusted
 * with non-coherent DMA (and so with WBINVD).
 *
 * Return: false when the user may do non-coherent DMA, true otherwise.
 */
bool vfio_file_enforced_coherent(struct file *file)
{
	struct vfio_group *group = file->private_data;
	bool coherent = true;

	if (!vfio_file_is_group(file))
		return true;

	mutex_lock(&group->lock);
	if (group->container) {
		down_read(&group->container->lock);
		coherent = vfio_backend_check_extension(group->container, VFIO_DMA_CC_IOMMU) > 0;
		up_read(&group->container->lock);
	}
	mutex_unlock(&group->lock);
	return coherent;
}
EXPORT_SYMBOL_GPL(vfio_file_enforced_coherent);

/**
 * vfio_file_set_kvm - link a VFIO group with a KVM
 * @file: a VFIO group file
 * @kvm: the KVM, or NULL to unlink
 *
 * Devices of the group opened from now on get @kvm in device->kvm.
 */
void vfio_file_set_kvm(struct file *file, struct kvm *kvm)
{
	struct vfio_group *group = file->private_data;

	if (!vfio_file_is_group(file))
		return;

	mutex_lock(&group->lock);
	group->kvm = kvm;
	mutex_unlock(&group->lock);
}
EXPORT_SYMBOL_GPL(vfio_file_set_kvm);

/**
 * vfio_file_has_dev - whether a VFIO group file gives its holder a device
 * @file: a VFIO group file
 * @device: the device
 *
 * Return: true if @device is in the group of @file.
 */
bool vfio_file_has_dev(struct file *file, struct vfio_device *device)
{
	struct vfio_group *group = file->private_data;

	return vfio_file_is_group(file) && device->group == group;
}
EXPORT_SYMBOL_GPL(vfio_file_has_dev);
