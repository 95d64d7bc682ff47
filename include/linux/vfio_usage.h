/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Single-usage restriction: our extension to the stock VFIO/mdev in-kernel API.
 *
 * A vendor driver declares that at most one mdev of a type may be assigned to one user
 * (one container, i.e. one VM) with mdev_type_set_single_usage(), exported by our mdev.ko.
 * mdev.ko shows it as the type attribute single_usage_restriction and registers a usage
 * policy with vfio.ko; the VFIO core asks the policy for a key when a device is opened into
 * a container and refuses (-EBUSY, with a dmesg line) a second open device with the same
 * non-NULL key in that container.
 *
 * These are new exported symbols, not changed struct layouts: modules built for the stock
 * kernel never see them, and samples reach them with symbol_get() so that the same binary
 * still loads on the stock stack.
 */
#ifndef __LINUX_VFIO_USAGE_H
#define __LINUX_VFIO_USAGE_H

#include <linux/types.h>

struct device;
struct module;
struct mdev_type;

/**
 * struct vfio_usage_policy - tells the VFIO core which devices may not share a container
 * @owner: module of @single_usage_key; the core holds a reference while calling it
 * @single_usage_key: returns a key for @dev, or NULL when @dev is unrestricted. Two devices
 *	with the same non-NULL key may not be open in one container at the same time. Called
 *	in process context with the container's group lock held; must not sleep for long.
 */
struct vfio_usage_policy {
	struct module *owner;
	const void *(*single_usage_key)(struct device *dev);
};

int vfio_register_usage_policy(const struct vfio_usage_policy *policy);
void vfio_unregister_usage_policy(const struct vfio_usage_policy *policy);

int mdev_type_set_single_usage(struct mdev_type *type, bool restricted);

#endif /* __LINUX_VFIO_USAGE_H */
