// SPDX-License-Identifier: GPL-2.0-only
/*
 * EEH in the container for devices whose driver models a frozen state
 * (include/linux/vfio_eeh.h): VFIO_CHECK_EXTENSION(VFIO_EEH) and VFIO_EEH_PE_OP as
 * container.c routes them here, the side table of the drivers' ops, and the one parser
 * of VFIO_EEH_PE_OP's argument that the powerpc backend (vfio_spapr_eeh.c) shares.
 *
 * A container's "PE" is the set of EEH devices in its groups: an op goes to each of them
 * in table order and the first error ends it; GET_STATE answers the first state that is
 * not NORMAL. A container without EEH devices never gets here: its backend answers, as on
 * the stock stack.
 *
 * Table: vfio_eeh_devices maps a vfio_device (by pointer) to its ops, from
 * vfio_device_set_eeh_ops(), after the driver registered the device, to
 * vfio_device_clear_eeh_ops(), before it unregisters it.
 *
 * Locking: vfio_eeh_lock -> group->lock -> the driver's locks. vfio_eeh_lock protects the
 * table and is held across a whole walk, so clearing an entry waits for any walk that
 * found it. A walk does not go through container->groups: that list is under
 * container->lock, which nests inside group->lock, so a walk holding it could not take
 * the groups' locks. It goes through the table instead and, for each device, takes its
 * group's lock and compares group->container; a group changes container only under its
 * lock, so the match holds while the op runs. container->lock itself is taken (read)
 * only to see whether the container has a backend yet, with no other lock held.
 * Lifetime: a walk holds a registration reference on the device and a module reference
 * on the ops' owner while it calls them.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>
#include <linux/vfio_eeh.h>
#include <linux/xarray.h>

#include "vfio_core.h"

static DEFINE_MUTEX(vfio_eeh_lock);
/* (unsigned long)vfio_device -> const struct vfio_eeh_ops *; protected by vfio_eeh_lock */
static DEFINE_XARRAY(vfio_eeh_devices);

/**
 * vfio_device_set_eeh_ops - give a registered device a model of EEH
 * @device: the device, registered with the core
 * @ops: its ops (all required); must stay valid until vfio_device_clear_eeh_ops()
 *
 * From now on VFIO_CHECK_EXTENSION(VFIO_EEH) on a container holding the device's group
 * answers 1 and VFIO_EEH_PE_OP there reaches @ops.
 *
 * Return: 0, -EINVAL for incomplete @ops, -EBUSY when the device has ops already, or
 * -ENOMEM.
 */
int vfio_device_set_eeh_ops(struct vfio_device *device, const struct vfio_eeh_ops *ops)
{
	int ret;

	if (!ops->set_option || !ops->get_state || !ops->reset || !ops->configure ||
	    !ops->inject_err)
		return -EINVAL;

	mutex_lock(&vfio_eeh_lock);
	ret = xa_insert(&vfio_eeh_devices, (unsigned long)device, (void *)ops, GFP_KERNEL);
	mutex_unlock(&vfio_eeh_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_device_set_eeh_ops);

/**
 * vfio_device_clear_eeh_ops - undo vfio_device_set_eeh_ops()
 * @device: the device, before the driver unregisters it
 *
 * Waits for an op in progress on any device to return; no op of @device is called after.
 * Does nothing for a device without ops.
 */
void vfio_device_clear_eeh_ops(struct vfio_device *device)
{
	mutex_lock(&vfio_eeh_lock);
	xa_erase(&vfio_eeh_devices, (unsigned long)device);
	mutex_unlock(&vfio_eeh_lock);
}
EXPORT_SYMBOL_GPL(vfio_device_clear_eeh_ops);

/**
 * vfio_eeh_pe_op_from_user - copy and check the argument of VFIO_EEH_PE_OP
 * @op: filled in: argsz, flags and op always, err for VFIO_EEH_PE_INJECT_ERR only (zero
 *	otherwise)
 * @arg: the user's struct vfio_eeh_pe_op
 *
 * Copies only what the op needs, each byte once: the header up to @op, then for
 * INJECT_ERR the err member alone, so the op that was checked is the op that runs.
 *
 * Return: 0, -EFAULT, or -EINVAL for an argsz short of the op field, non-zero flags, an
 * unknown op, or an INJECT_ERR whose argsz stops short of err.mask.
 */
int vfio_eeh_pe_op_from_user(struct vfio_eeh_pe_op *op, const void __user *arg)
{
	size_t hdrsz = offsetofend(struct vfio_eeh_pe_op, op);

	memset(op, 0, sizeof(*op));
	if (copy_from_user(op, arg, hdrsz))
		return -EFAULT;
	if (op->argsz < hdrsz || op->flags)
		return -EINVAL;
	/* The uAPI numbers its ops from VFIO_EEH_PE_DISABLE (0) to _INJECT_ERR, no gaps */
	if (op->op > VFIO_EEH_PE_INJECT_ERR)
		return -EINVAL;
	if (op->op != VFIO_EEH_PE_INJECT_ERR)
		return 0;

	if (op->argsz < offsetofend(struct vfio_eeh_pe_op, err.mask))
		return -EINVAL;
	if (copy_from_user(&op->err, arg + offsetof(struct vfio_eeh_pe_op, err),
			   sizeof(op->err)))
		return -EFAULT;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_eeh_pe_op_from_user);

/**
 * struct vfio_eeh_call - one walk through the EEH devices of a container
 * @container: the container
 * @op: what the parser let through, or NULL to only look for an EEH device
 * @state: GET_STATE: the first state that is not NORMAL, else NORMAL
 * @nr_devices: devices the walk reached
 */
struct vfio_eeh_call {
	struct vfio_container *container;
	const struct vfio_eeh_pe_op *op;
	int state;
	unsigned int nr_devices;
};

static int vfio_eeh_call_get_state(struct vfio_device *device,
				   const struct vfio_eeh_ops *ops, struct vfio_eeh_call *call)
{
	int state = ops->get_state(device);

	if (state < 0)
		return state;
	if (call->state == VFIO_EEH_PE_STATE_NORMAL)
		call->state = state;
	return 0;
}

/* Runs @call->op on one device of the container; group->lock held */
static int vfio_eeh_call_op(struct vfio_device *device, const struct vfio_eeh_ops *ops,
			    struct vfio_eeh_call *call)
{
	const struct vfio_eeh_pe_op *op = call->op;

	lockdep_assert_held(&device->group->lock);
	switch (op->op) {
	case VFIO_EEH_PE_DISABLE:
	case VFIO_EEH_PE_ENABLE:
	case VFIO_EEH_PE_UNFREEZE_IO:
	case VFIO_EEH_PE_UNFREEZE_DMA:
		return ops->set_option(device, op->op);
	case VFIO_EEH_PE_GET_STATE:
		return vfio_eeh_call_get_state(device, ops, call);
	case VFIO_EEH_PE_RESET_DEACTIVATE:
	case VFIO_EEH_PE_RESET_HOT:
	case VFIO_EEH_PE_RESET_FUNDAMENTAL:
		return ops->reset(device, op->op);
	case VFIO_EEH_PE_CONFIGURE:
		return ops->configure(device);
	default:	/* VFIO_EEH_PE_INJECT_ERR: the parser lets nothing else through */
		return ops->inject_err(device, &op->err);
	}
}

/*
 * One table entry: if @device's group is in the container, counts it and runs the op
 * (or, with no op, ends the walk with 1). Non-zero ends the walk.
 */
static int vfio_eeh_visit(struct vfio_device *device, const struct vfio_eeh_ops *ops,
			  struct vfio_eeh_call *call)
{
	struct vfio_group *group;
	int ret = 0;

	lockdep_assert_held(&vfio_eeh_lock);
	/* Both put below; a device being unregistered is skipped */
	if (!vfio_device_try_get_registration(device))
		return 0;
	if (!try_module_get(ops->owner))
		goto out_put_registration;

	group = device->group;
	mutex_lock(&group->lock);
	if (group->container == call->container) {
		call->nr_devices++;
		ret = call->op ? vfio_eeh_call_op(device, ops, call) : 1;
	}
	mutex_unlock(&group->lock);

	module_put(ops->owner);
out_put_registration:
	vfio_device_put_registration(device);
	return ret;
}

static int vfio_eeh_walk(struct vfio_eeh_call *call)
{
	const struct vfio_eeh_ops *ops;
	unsigned long index;
	int ret = 0;

	mutex_lock(&vfio_eeh_lock);
	xa_for_each(&vfio_eeh_devices, index, ops) {
		ret = vfio_eeh_visit((struct vfio_device *)index, ops, call);
		if (ret)
			break;
	}
	mutex_unlock(&vfio_eeh_lock);
	return ret;
}

/**
 * vfio_eeh_container_supported - whether a group of the container has an EEH device
 * @container: the container; called with no lock held
 *
 * Return: true when VFIO_CHECK_EXTENSION(VFIO_EEH) is ours to answer (with 1) and
 * VFIO_EEH_PE_OP ours to serve.
 */
bool vfio_eeh_container_supported(struct vfio_container *container)
{
	struct vfio_eeh_call call = { .container = container };

	return vfio_eeh_walk(&call) > 0;
}

/**
 * vfio_eeh_pe_op - VFIO_EEH_PE_OP on a container with EEH devices
 * @container: the container; called with no lock held
 * @arg: the user's struct vfio_eeh_pe_op
 *
 * Like every container ioctl the core does not own, it needs VFIO_SET_IOMMU first.
 *
 * Return: the state for GET_STATE, else 0; -EINVAL before VFIO_SET_IOMMU or from the
 * parser, -EFAULT, the first device's errno, or -ENODEV when the EEH devices left the
 * container meanwhile (no PE, as sPAPR answers).
 */
long vfio_eeh_pe_op(struct vfio_container *container, void __user *arg)
{
	struct vfio_eeh_pe_op op;
	struct vfio_eeh_call call = {
		.container = container,
		.op = &op,
		.state = VFIO_EEH_PE_STATE_NORMAL,
	};
	bool has_backend;
	int ret;

	down_read(&container->lock);
	has_backend = container->backend;
	up_read(&container->lock);
	if (!has_backend)
		return -EINVAL;

	ret = vfio_eeh_pe_op_from_user(&op, arg);
	if (ret)
		return ret;
	ret = vfio_eeh_walk(&call);
	if (ret)
		return ret;
	if (!call.nr_devices)
		return -ENODEV;
	return op.op == VFIO_EEH_PE_GET_STATE ? call.state : 0;
}
