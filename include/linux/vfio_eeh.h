/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * EEH for devices that model it: our extension to the stock VFIO in-kernel API.
 *
 * On sPAPR the platform freezes a device's Partitionable Endpoint after an error and the
 * VMM manages it through the container: VFIO_CHECK_EXTENSION(VFIO_EEH) and
 * VFIO_EEH_PE_OP. Our core (vfio.ko) offers the same container ioctl on every platform to
 * drivers whose device can model a frozen state: such a driver registers a struct
 * vfio_eeh_ops for its vfio_device with vfio_device_set_eeh_ops() after registering the
 * device and clears it with vfio_device_clear_eeh_ops() before unregistering it. The core
 * keeps the ops in a side table (struct vfio_device does not grow) and sends every
 * VFIO_EEH_PE_OP on a container to the EEH devices of its groups.
 *
 * vfio_eeh_pe_op_from_user() is the one parser of the ioctl's argument, shared by the core
 * and by the powerpc backend (vfio_spapr_eeh.ko), so that both check it the same way.
 *
 * These are new exported symbols, not changed struct layouts: modules built for the stock
 * kernel never see them, and samples reach them with symbol_get() so that the same binary
 * still loads on the stock stack (where it has no EEH).
 */
#ifndef __LINUX_VFIO_EEH_H
#define __LINUX_VFIO_EEH_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct module;
struct vfio_device;
struct vfio_eeh_pe_err;
struct vfio_eeh_pe_op;

/**
 * struct vfio_eeh_ops - a device's model of EEH, driven by VFIO_EEH_PE_OP
 * @owner: the driver's module; the core holds a reference while calling it
 * @set_option: VFIO_EEH_PE_DISABLE, _ENABLE, _UNFREEZE_IO or _UNFREEZE_DMA (@option is
 *	the uAPI op); returns 0 or -errno
 * @get_state: returns the device's VFIO_EEH_PE_STATE_*, or -errno
 * @reset: VFIO_EEH_PE_RESET_HOT, _RESET_FUNDAMENTAL or _RESET_DEACTIVATE (@option is the
 *	uAPI op); returns 0 or -errno
 * @configure: VFIO_EEH_PE_CONFIGURE, restore the device after a reset; returns 0 or -errno
 * @inject_err: VFIO_EEH_PE_INJECT_ERR with what userspace passed in @err (type, func,
 *	addr, mask are the driver's to interpret); returns 0 or -errno
 *
 * Every op is required. They are called in process context with the device registered
 * and its group's lock held (so the device stays in the container meanwhile): they may
 * take the driver's own locks and sleep, but must not call into the VFIO core's group or
 * container ioctls, nor vfio_device_set_eeh_ops()/vfio_device_clear_eeh_ops().
 */
struct vfio_eeh_ops {
	struct module *owner;
	int (*set_option)(struct vfio_device *vdev, u32 option);
	int (*get_state)(struct vfio_device *vdev);
	int (*reset)(struct vfio_device *vdev, u32 option);
	int (*configure)(struct vfio_device *vdev);
	int (*inject_err)(struct vfio_device *vdev, const struct vfio_eeh_pe_err *err);
};

int vfio_device_set_eeh_ops(struct vfio_device *device, const struct vfio_eeh_ops *ops);
void vfio_device_clear_eeh_ops(struct vfio_device *device);

int vfio_eeh_pe_op_from_user(struct vfio_eeh_pe_op *op, const void __user *arg);

#endif /* __LINUX_VFIO_EEH_H */
