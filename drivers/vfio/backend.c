// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOMMU backends (vfio_iommu_type1 and any other module that registers) and every
 * call into the backend of a container: the registry, extension checks, VFIO_SET_IOMMU,
 * and the vendor-driver calls vfio_pin_pages(), vfio_unpin_pages() and vfio_dma_rw() that
 * are routed to the backend of the device's container.
 *
 * Lifetime: a container that uses a backend holds a reference on the backend's module
 * from VFIO_SET_IOMMU until vfio_backend_unset_iommu(), so a backend cannot unregister
 * while in use; the registry entry itself is freed at unregistration.
 *
 * Locking: vfio_backends_lock protects the registry and nests inside container->lock,
 * which the callers hold as each function says. The vendor-driver calls take no lock:
 * they are only allowed on an open device, whose container and backend cannot change
 * until it is closed (container.c).
 */
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "vfio_core.h"

static LIST_HEAD(vfio_backends);
static DEFINE_MUTEX(vfio_backends_lock);

/**
 * vfio_register_iommu_driver - make an IOMMU backend available to containers
 * @ops: the backend's operations (vfio_iommu_backend.h); @open, @release, @ioctl,
 *	@attach_group and @detach_group are required, @register_device and
 *	@unregister_device come as a pair
 *
 * Return: 0, -EINVAL for incomplete @ops or @ops registered already, or -ENOMEM.
 */
int vfio_register_iommu_driver(const struct vfio_iommu_driver_ops *ops)
{
	struct vfio_backend *backend, *it;

	if (!ops->open || !ops->release || !ops->ioctl || !ops->attach_group ||
	    !ops->detach_group || !ops->register_device != !ops->unregister_device)
		return -EINVAL;

	backend = kzalloc(sizeof(*backend), GFP_KERNEL);
	if (!backend)
		return -ENOMEM;
	backend->ops = ops;

	mutex_lock(&vfio_backends_lock);
	list_for_each_entry(it, &vfio_backends, next) {
		if (it->ops == ops) {
			mutex_unlock(&vfio_backends_lock);
			kfree(backend);
			return -EINVAL;
		}
	}
	list_add_tail(&backend->next, &vfio_backends);
	mutex_unlock(&vfio_backends_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_register_iommu_driver);

/**
 * vfio_unregister_iommu_driver - undo vfio_register_iommu_driver()
 * @ops: the operations given at registration
 *
 * Called from the backend's module exit, when no container can be using it.
 */
void vfio_unregister_iommu_driver(const struct vfio_iommu_driver_ops *ops)
{
	struct vfio_backend *it;

	mutex_lock(&vfio_backends_lock);
	list_for_each_entry(it, &vfio_backends, next) {
		if (it->ops == ops) {
			list_del(&it->next);
			kfree(it);
			break;
		}
	}
	mutex_unlock(&vfio_backends_lock);
}
EXPORT_SYMBOL_GPL(vfio_unregister_iommu_driver);

/* A backend's answer to VFIO_CHECK_EXTENSION(@ext), asked without a container. */
static long vfio_backend_probe(struct vfio_backend *backend, unsigned long ext)
{
	long ret;

	lockdep_assert_held(&vfio_backends_lock);
	if (!try_module_get(backend->ops->owner))
		return 0;
	ret = backend->ops->ioctl(NULL, VFIO_CHECK_EXTENSION, ext);
	module_put(backend->ops->owner);
	return ret;
}

/**
 * vfio_backend_check_extension - VFIO_CHECK_EXTENSION on a container
 * @container: the container; container->lock held
 * @ext: the extension
 *
 * Once the container has a backend, only that backend answers; before, the first
 * registered backend that supports @ext does.
 *
 * Return: the answer, > 0 for supported.
 */
long vfio_backend_check_extension(struct vfio_container *container, unsigned long ext)
{
	struct vfio_backend *backend;
	long ret = 0;

	lockdep_assert_held(&container->lock);
	if (container->backend)
		return container->backend->ops->ioctl(container->backend_data,
						      VFIO_CHECK_EXTENSION, ext);

	mutex_lock(&vfio_backends_lock);
	list_for_each_entry(backend, &vfio_backends, next) {
		ret = vfio_backend_probe(backend, ext);
		if (ret > 0)
			break;
	}
	mutex_unlock(&vfio_backends_lock);
	return ret;
}

/* Attaches every group of the container to a just-opened backend, or none of them. */
static int vfio_backend_attach_groups(struct vfio_container *container,
				      struct vfio_backend *backend, void *data)
{
	struct vfio_group *group;
	int ret;

	list_for_each_entry(group, &container->groups, container_next) {
		ret = backend->ops->attach_group(data, group->iommu_group, group->type);
		if (ret)
			goto err_detach;
	}
	return 0;

err_detach:
	list_for_each_entry_continue_reverse(group, &container->groups, container_next)
		backend->ops->detach_group(data, group->iommu_group);
	return ret;
}

/* Opens @backend for @container and attaches its groups; holds the module on success. */
static int vfio_backend_try(struct vfio_container *container, struct vfio_backend *backend,
			    unsigned long type)
{
	void *data;
	int ret;

	if (!try_module_get(backend->ops->owner))
		return -ENODEV;
	/* SET_IOMMU's argument is the extension that names the IOMMU type */
	if (backend->ops->ioctl(NULL, VFIO_CHECK_EXTENSION, type) <= 0) {
		ret = -ENODEV;
		goto err_put;
	}
	data = backend->ops->open(type);
	if (IS_ERR(data)) {
		ret = PTR_ERR(data);
		goto err_put;
	}
	ret = vfio_backend_attach_groups(container, backend, data);
	if (ret)
		goto err_release;

	container->backend = backend;
	container->backend_data = data;
	/* Pairs with vfio_container_get_backend(): a call that counts itself sees both */
	smp_wmb();
	refcount_set(&container->backend_users, 1);
	return 0;

err_release:
	backend->ops->release(data);
err_put:
	module_put(backend->ops->owner);
	return ret;
}

/**
 * vfio_backend_set_iommu - VFIO_SET_IOMMU: give a container the backend for @type
 * @container: a container with groups and no backend; container->lock held for write
 * @type: the IOMMU type (VFIO_TYPE1v2_IOMMU, ...)
 *
 * Backends are tried in registration order; the first that supports @type, opens and
 * takes every group wins.
 *
 * Return: 0, or the last backend's errno, or -ENODEV when none supports @type.
 */
int vfio_backend_set_iommu(struct vfio_container *container, unsigned long type)
{
	struct vfio_backend *backend;
	int ret = -ENODEV;

	lockdep_assert_held_write(&container->lock);
	mutex_lock(&vfio_backends_lock);
	list_for_each_entry(backend, &vfio_backends, next) {
		ret = vfio_backend_try(container, backend, type);
		if (!ret)
			break;
	}
	mutex_unlock(&vfio_backends_lock);
	return ret;
}

/**
 * vfio_backend_unset_iommu - drop a container's backend after its last group left
 * @container: the container; container->lock held for write
 *
 * Waits for the ioctls still in the backend: they hold no lock (container.c).
 */
void vfio_backend_unset_iommu(struct vfio_container *container)
{
	struct vfio_backend *backend = container->backend;

	lockdep_assert_held_write(&container->lock);
	if (!refcount_dec_and_test(&container->backend_users))
		wait_for_completion(&container->backend_idle);
	backend->ops->release(container->backend_data);
	module_put(backend->ops->owner);
	container->backend = NULL;
	container->backend_data = NULL;
}

/* The container of an open device; callers checked that the device is open. */
static struct vfio_container *vfio_device_container(struct vfio_device *device)
{
	return device->group->container;
}

static bool vfio_device_is_open(struct vfio_device *device)
{
	return !WARN_ON_ONCE(!READ_ONCE(device->open_count));
}

/**
 * vfio_pin_pages - pin guest pages for a device whose DMA the driver mediates
 * @device: an open device registered with vfio_register_emulated_iommu_dev()
 * @iova: the IOVA of the first page, page aligned
 * @npage: how many contiguous pages, at most VFIO_PIN_PAGES_MAX_ENTRIES
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @pages: gets the pinned pages
 *
 * The pages stay pinned until vfio_unpin_pages(); before userspace unmaps an IOVA range,
 * the driver's @dma_unmap is called and must unpin what it holds there.
 *
 * Return: the number of pages pinned, or -EINVAL (bad arguments, device not open),
 * -E2BIG (@npage too large), -ENOTTY (the backend does not pin) or the backend's errno.
 */
int vfio_pin_pages(struct vfio_device *device, dma_addr_t iova,
		   int npage, int prot, struct page **pages)
{
	struct vfio_container *container;

	if (!pages || !npage || !vfio_device_is_open(device))
		return -EINVAL;
	if (npage > VFIO_PIN_PAGES_MAX_ENTRIES)
		return -E2BIG;

	container = vfio_device_container(device);
	if (!container->backend->ops->pin_pages)
		return -ENOTTY;
	return container->backend->ops->pin_pages(container->backend_data,
						  device->group->iommu_group, iova,
						  npage, prot, pages);
}
EXPORT_SYMBOL(vfio_pin_pages);

/**
 * vfio_unpin_pages - unpin pages pinned by vfio_pin_pages()
 * @device: the open device that pinned them
 * @iova: the IOVA of the first page
 * @npage: how many contiguous pages, at most VFIO_PIN_PAGES_MAX_ENTRIES
 */
void vfio_unpin_pages(struct vfio_device *device, dma_addr_t iova, int npage)
{
	struct vfio_container *container;

	if (WARN_ON(npage <= 0 || npage > VFIO_PIN_PAGES_MAX_ENTRIES))
		return;
	if (!vfio_device_is_open(device))
		return;

	container = vfio_device_container(device);
	container->backend->ops->unpin_pages(container->backend_data, iova, npage);
}
EXPORT_SYMBOL(vfio_unpin_pages);

/**
 * vfio_dma_rw - read or write guest memory by IOVA on behalf of a device
 * @device: an open device
 * @iova: where in the container's IOVA space
 * @data: the kernel buffer
 * @len: how many bytes
 * @write: true to copy @data to guest memory, false to copy from it
 *
 * The CPU does the copy, so nothing is pinned; pages written are marked dirty for dirty
 * page tracking.
 *
 * Return: 0, or -EINVAL (bad arguments, device not open), -ENOTTY (the backend does not
 * support it) or the backend's errno.
 */
int vfio_dma_rw(struct vfio_device *device, dma_addr_t iova, void *data,
		size_t len, bool write)
{
	struct vfio_container *container;

	if (!data || !len || !vfio_device_is_open(device))
		return -EINVAL;

	container = vfio_device_container(device);
	if (!container->backend->ops->dma_rw)
		return -ENOTTY;
	return container->backend->ops->dma_rw(container->backend_data, iova, data, len,
					       write);
}
EXPORT_SYMBOL(vfio_dma_rw);
