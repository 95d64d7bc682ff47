/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The seam between the VFIO core (vfio.ko) and its IOMMU backends (vfio_iommu_type1.ko).
 *
 * This is the only header the two modules share. Its layout is fixed by ABI, not by taste:
 * vfio_register_iommu_driver() is exported by the stock kernel with a modversions CRC that
 * genksyms computes over the full expansion of struct vfio_iommu_driver_ops and of the two
 * enums below, member names included. Keeping them identical keeps that CRC identical, so a
 * backend built for the stock kernel registers with our core and ours with the stock core.
 *
 * Contract (ours, written down here):
 *  - @open is called for VFIO_SET_IOMMU with the requested type; it returns the backend's
 *    per-container data or an ERR_PTR (-EINVAL for a type it does not serve).
 *  - @attach_group/@detach_group are called with the container's group lock held; a group is
 *    attached at most once; @detach_group must not fail.
 *  - @register_device/@unregister_device bracket the time a device of an attached group is
 *    open; @unregister_device is called after the driver's close_device has returned.
 *  - @pin_pages/@unpin_pages/@dma_rw serve the vendor-driver calls vfio_pin_pages(),
 *    vfio_unpin_pages() and vfio_dma_rw(); the core holds a module reference meanwhile.
 *  - @notify(VFIO_IOMMU_CONTAINER_CLOSE) is sent when the container's fd is released while
 *    groups are still attached; @release is the last call.
 */
#ifndef __VFIO_IOMMU_BACKEND_H__
#define __VFIO_IOMMU_BACKEND_H__

#include <linux/device.h>
#include <linux/cdev.h>
#include <linux/module.h>

struct iommu_group;
struct vfio_device;

/* What kind of IOMMU stands behind a group. */
enum vfio_group_type {
	VFIO_IOMMU,		/* a real IOMMU group of a physical device */
	VFIO_EMULATED_IOMMU,	/* a group the core made for a device that cannot DMA itself */
	VFIO_NO_IOMMU,		/* a physical device without IOMMU protection (unsafe mode) */
};

/* Events sent to a backend through @notify. */
enum vfio_iommu_notify_type {
	VFIO_IOMMU_CONTAINER_CLOSE = 0,
};

/**
 * struct vfio_iommu_driver_ops - what an IOMMU backend gives the container
 * @name: shown in dmesg
 * @owner: the backend's module; the core holds a reference while a container uses it
 * @open: create the per-container state for VFIO_SET_IOMMU(@arg)
 * @release: free it; the last call for that state
 * @ioctl: every container ioctl the core does not handle itself
 * @attach_group: add a group; called with the container's group lock held
 * @detach_group: remove a group; must not fail
 * @pin_pages: pin @npage pages from @user_iova for a vendor driver
 * @unpin_pages: undo @pin_pages
 * @register_device: a device of an attached group was opened
 * @unregister_device: that device is being closed
 * @dma_rw: copy to or from the IOVA space for a vendor driver
 * @group_iommu_domain: the IOMMU domain a physical group is attached to
 * @notify: an event from the core
 */
struct vfio_iommu_driver_ops {
	char		*name;
	struct module	*owner;
	void		*(*open)(unsigned long arg);
	void		(*release)(void *iommu_data);
	long		(*ioctl)(void *iommu_data, unsigned int cmd,
				 unsigned long arg);
	int		(*attach_group)(void *iommu_data,
					struct iommu_group *group,
					enum vfio_group_type);
	void		(*detach_group)(void *iommu_data,
					struct iommu_group *group);
	int		(*pin_pages)(void *iommu_data,
				     struct iommu_group *group,
				     dma_addr_t user_iova,
				     int npage, int prot,
				     struct page **pages);
	void		(*unpin_pages)(void *iommu_data,
				       dma_addr_t user_iova, int npage);
	void		(*register_device)(void *iommu_data,
					   struct vfio_device *vdev);
	void		(*unregister_device)(void *iommu_data,
					     struct vfio_device *vdev);
	int		(*dma_rw)(void *iommu_data, dma_addr_t user_iova,
				  void *data, size_t count, bool write);
	struct iommu_domain *(*group_iommu_domain)(void *iommu_data,
						   struct iommu_group *group);
	void		(*notify)(void *iommu_data,
				  enum vfio_iommu_notify_type event);
};

int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops);
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops);

#endif /* __VFIO_IOMMU_BACKEND_H__ */
