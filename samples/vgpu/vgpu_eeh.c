// SPDX-License-Identifier: GPL-2.0-only
/*
 * EEH of a vGPU instance: the struct vfio_eeh_ops that our VFIO core calls for
 * VFIO_EEH_PE_OP on the instance's container (include/linux/vfio_eeh.h), modelling a PE
 * that the platform froze after an error.
 *
 * States, as GET_STATE reports them:
 *   NORMAL       working
 *   STOPPED      frozen by INJECT_ERR (any err: type, func, addr and mask are not looked
 *                at): trapped reads of the MMIO BAR and config space return all ones and
 *                writes are dropped; the copy engine ends every command with
 *                VGPU_CE_ERR_FROZEN and raises no interrupt. VRAM (BAR0) stays as it was.
 *   STOPPED_DMA  UNFREEZE_IO thawed the register side, DMA is still stopped
 *   RESET        RESET_HOT or RESET_FUNDAMENTAL is asserted: the function was reset
 *                (vgpu_reset(): pins dropped, registers and config space at power on) and
 *                is stopped until RESET_DEACTIVATE
 * RESET_DEACTIVATE ends the reset and thaws the function, as the platform's PE reset does;
 * CONFIGURE then puts back the config space saved when the reset was asserted (BARs,
 * command register, MSI), as the EEH core restores a PE's BARs. UNFREEZE_IO and
 * UNFREEZE_DMA thaw one side without a reset. ENABLE and DISABLE are accepted and change
 * nothing: the model always detects.
 * Locking: the core calls the ops with the group's lock held; they take vgpu->lock.
 * Lifetime: the ops are set after the device is registered (probe) and cleared before it
 * is unregistered (remove), through symbol_get() so that vgpu.ko still loads on the stock
 * VFIO core, which has no such call (and no EEH for us). Closing the device thaws it, as
 * the end of a passed-through PE's use hands it back to the host.
 */
#include <linux/module.h>
#include <linux/string.h>
#include <linux/vfio_eeh.h>

#include "vgpu.h"

static int vgpu_eeh_set_option(struct vfio_device *vdev, u32 option)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);

	mutex_lock(&vgpu->lock);
	if (option == VFIO_EEH_PE_UNFREEZE_IO)
		vgpu->eeh.io_frozen = false;
	else if (option == VFIO_EEH_PE_UNFREEZE_DMA)
		vgpu->eeh.dma_frozen = false;
	mutex_unlock(&vgpu->lock);
	return 0;
}

static int vgpu_eeh_get_state(struct vfio_device *vdev)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);
	int state = VFIO_EEH_PE_STATE_NORMAL;

	mutex_lock(&vgpu->lock);
	if (vgpu->eeh.in_reset)
		state = VFIO_EEH_PE_STATE_RESET;
	else if (vgpu->eeh.io_frozen)
		state = VFIO_EEH_PE_STATE_STOPPED;
	else if (vgpu->eeh.dma_frozen)
		state = VFIO_EEH_PE_STATE_STOPPED_DMA;
	mutex_unlock(&vgpu->lock);
	return state;
}

static int vgpu_eeh_reset(struct vfio_device *vdev, u32 option)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);
	struct vgpu_eeh *eeh = &vgpu->eeh;

	mutex_lock(&vgpu->lock);
	if (option == VFIO_EEH_PE_RESET_DEACTIVATE) {
		eeh->in_reset = false;
		eeh->io_frozen = false;
		eeh->dma_frozen = false;
	} else if (!eeh->in_reset) {
		memcpy(eeh->saved_cfg, vgpu->cfg, sizeof(eeh->saved_cfg));
		eeh->cfg_saved = true;
		vgpu_reset(vgpu);
		eeh->in_reset = true;
	}
	mutex_unlock(&vgpu->lock);
	return 0;
}

static int vgpu_eeh_configure(struct vfio_device *vdev)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);
	struct vgpu_eeh *eeh = &vgpu->eeh;

	mutex_lock(&vgpu->lock);
	if (eeh->cfg_saved)
		memcpy(vgpu->cfg, eeh->saved_cfg, sizeof(vgpu->cfg));
	eeh->cfg_saved = false;
	mutex_unlock(&vgpu->lock);
	return 0;
}

static int vgpu_eeh_inject_err(struct vfio_device *vdev, const struct vfio_eeh_pe_err *err)
{
	struct vgpu_state *vgpu = vdev_to_vgpu(vdev);

	mutex_lock(&vgpu->lock);
	vgpu->eeh.io_frozen = true;
	vgpu->eeh.dma_frozen = true;
	mutex_unlock(&vgpu->lock);
	return 0;
}

static const struct vfio_eeh_ops vgpu_eeh_ops = {
	.owner = THIS_MODULE,
	.set_option = vgpu_eeh_set_option,
	.get_state = vgpu_eeh_get_state,
	.reset = vgpu_eeh_reset,
	.configure = vgpu_eeh_configure,
	.inject_err = vgpu_eeh_inject_err,
};

/**
 * vgpu_eeh_register() - offer the instance's EEH model to our VFIO core, if loaded
 * @vgpu: the instance, just registered with VFIO
 *
 * Without our core (the stock one) the instance simply has no EEH.
 */
void vgpu_eeh_register(struct vgpu_state *vgpu)
{
	int (*set_ops)(struct vfio_device *device, const struct vfio_eeh_ops *ops);
	int ret;

	set_ops = symbol_get(vfio_device_set_eeh_ops);
	if (!set_ops)
		return;
	ret = set_ops(&vgpu->vdev, &vgpu_eeh_ops);
	symbol_put(vfio_device_set_eeh_ops);
	if (ret)
		dev_warn(vgpu->vdev.dev, "no EEH model: %d\n", ret);
	vgpu->eeh.registered = !ret;
}

/**
 * vgpu_eeh_unregister() - undo vgpu_eeh_register()
 * @vgpu: the instance, before it is unregistered from VFIO
 */
void vgpu_eeh_unregister(struct vgpu_state *vgpu)
{
	void (*clear_ops)(struct vfio_device *device);

	if (!vgpu->eeh.registered)
		return;
	/* Cannot fail: the core that took the ops exports it and is pinned by our imports */
	clear_ops = symbol_get(vfio_device_clear_eeh_ops);
	if (WARN_ON_ONCE(!clear_ops))
		return;
	clear_ops(&vgpu->vdev);
	symbol_put(vfio_device_clear_eeh_ops);
	vgpu->eeh.registered = false;
}

/**
 * vgpu_eeh_clear() - thaw the instance and forget a pending CONFIGURE (device closed)
 * @vgpu: the instance
 */
void vgpu_eeh_clear(struct vgpu_state *vgpu)
{
	lockdep_assert_held(&vgpu->lock);
	vgpu->eeh.io_frozen = false;
	vgpu->eeh.dma_frozen = false;
	vgpu->eeh.in_reset = false;
	vgpu->eeh.cfg_saved = false;
}
