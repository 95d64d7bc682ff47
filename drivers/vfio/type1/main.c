// SPDX-License-Identifier: GPL-2.0-only
/*
 * The type1 IOMMU backend module: its parameters, the per-container state and the ops
 * table registered with the VFIO core as VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU and
 * VFIO_TYPE1_NESTING_IOMMU.
 *
 * Lifetime: @open creates a struct type1_iommu for VFIO_SET_IOMMU; @release, the core's
 * last call, removes every mapping (unpinning and uncharging it), every domain and group.
 * The core holds a reference on this module while a container uses it.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "type1.h"

bool type1_allow_unsafe_interrupts;
module_param_named(allow_unsafe_interrupts, type1_allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Enable VFIO IOMMU support for on platforms without interrupt remapping support.");

bool type1_disable_hugepages;
module_param_named(disable_hugepages, type1_disable_hugepages, bool, 0644);
MODULE_PARM_DESC(disable_hugepages,
		 "Disable VFIO IOMMU support for IOMMU hugepages.");

unsigned int type1_dma_entry_limit __read_mostly = U16_MAX;
module_param_named(dma_entry_limit, type1_dma_entry_limit, uint, 0644);
MODULE_PARM_DESC(dma_entry_limit,
		 "Maximum number of user DMA mappings per container (65535).");

static void *type1_open(unsigned long arg)
{
	struct type1_iommu *iommu;

	if (arg != VFIO_TYPE1_IOMMU && arg != VFIO_TYPE1v2_IOMMU &&
	    arg != VFIO_TYPE1_NESTING_IOMMU)
		return ERR_PTR(-EINVAL);

	iommu = kzalloc(sizeof(*iommu), GFP_KERNEL_ACCOUNT);
	if (!iommu)
		return ERR_PTR(-ENOMEM);

	iommu->v2 = arg != VFIO_TYPE1_IOMMU;
	iommu->nesting = arg == VFIO_TYPE1_NESTING_IOMMU;
	mutex_init(&iommu->lock);
	mutex_init(&iommu->device_list_lock);
	INIT_LIST_HEAD(&iommu->domain_list);
	INIT_LIST_HEAD(&iommu->emulated_groups);
	INIT_LIST_HEAD(&iommu->iova_list);
	INIT_LIST_HEAD(&iommu->device_list);
	iommu->dma_tree = RB_ROOT;
	iommu->dma_avail = type1_dma_entry_limit;
	iommu->pgsize_bitmap = PAGE_MASK;
	return iommu;
}

static void type1_release(void *iommu_data)
{
	struct type1_iommu *iommu = iommu_data;
	struct type1_group *group, *gnext;
	struct type1_domain *domain, *dnext;

	mutex_lock(&iommu->lock);
	list_for_each_entry_safe(group, gnext, &iommu->emulated_groups, next) {
		list_del(&group->next);
		kfree(group);
	}
	type1_dma_remove_all(iommu);
	list_for_each_entry_safe(domain, dnext, &iommu->domain_list, next) {
		list_for_each_entry_safe(group, gnext, &domain->group_list, next) {
			iommu_detach_group(domain->domain, group->iommu_group);
			list_del(&group->next);
			kfree(group);
		}
		type1_domain_free(iommu, domain);
	}
	type1_iova_free(&iommu->iova_list);
	mutex_unlock(&iommu->lock);

	mutex_destroy(&iommu->device_list_lock);
	mutex_destroy(&iommu->lock);
	kfree(iommu);
}

static const struct vfio_iommu_driver_ops type1_ops = {
	.name			= "vfio-iommu-type1",
	.owner			= THIS_MODULE,
	.open			= type1_open,
	.release		= type1_release,
	.ioctl			= type1_ioctl,
	.attach_group		= type1_attach_group,
	.detach_group		= type1_detach_group,
	.pin_pages		= type1_pin_pages,
	.unpin_pages		= type1_unpin_pages,
	.register_device	= type1_register_device,
	.unregister_device	= type1_unregister_device,
	.dma_rw			= type1_dma_rw,
	.group_iommu_domain	= type1_group_iommu_domain,
};

static int __init type1_init(void)
{
	return vfio_register_iommu_driver(&type1_ops);
}

static void __exit type1_exit(void)
{
	vfio_unregister_iommu_driver(&type1_ops);
}

module_init(type1_init);
module_exit(type1_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Type1 IOMMU driver for VFIO");
