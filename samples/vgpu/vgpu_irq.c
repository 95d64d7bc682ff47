// SPDX-License-Identifier: GPL-2.0-only
/*
 * Interrupts of a vGPU instance, delivered to the user through eventfds set with
 * VFIO_DEVICE_SET_IRQS: INTx (maskable, automasked when it fires, as vfio-pci does), one
 * MSI vector, and the device request interrupt that asks the user to release the device
 * when the mdev is being removed. The device raises MSI when the user has an MSI trigger
 * (the user owns the MSI capability's semantics, as QEMU does), else INTx.
 * Locking: callers hold vgpu->lock, except vgpu_irq_request() which takes it.
 * Lifetime: the eventfd references are dropped by vgpu_irq_free() on close and by
 * replacing or clearing a trigger.
 */
#include <linux/eventfd.h>
#include <linux/slab.h>

#include "vgpu.h"

static unsigned int vgpu_irq_count(unsigned int index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	default:
		return 0;
	}
}

/**
 * vgpu_irq_info() - fill VFIO_DEVICE_GET_IRQ_INFO
 * @vgpu: the instance
 * @info: with a valid index
 *
 * Return: 0, or -EINVAL for an index past VFIO_PCI_NUM_IRQS.
 */
int vgpu_irq_info(struct vgpu_state *vgpu, struct vfio_irq_info *info)
{
	if (info->index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	info->count = vgpu_irq_count(info->index);
	info->flags = VFIO_IRQ_INFO_EVENTFD;
	if (info->index == VFIO_PCI_INTX_IRQ_INDEX)
		info->flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else
		info->flags |= VFIO_IRQ_INFO_NORESIZE;
	return 0;
}

/* Install the eventfd @fd (or none for -1) as *@slot */
static int vgpu_irq_set_eventfd(struct eventfd_ctx **slot, s32 fd)
{
	struct eventfd_ctx *ctx = NULL;

	if (fd < -1)
		return -EINVAL;
	if (fd >= 0) {
		ctx = eventfd_ctx_fdget(fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = ctx;
	return 0;
}

static int vgpu_irq_trigger(struct eventfd_ctx **slot, struct vfio_irq_set *hdr, void *data)
{
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	if (type == VFIO_IRQ_SET_DATA_NONE && !hdr->count)
		return vgpu_irq_set_eventfd(slot, -1);
	if (type == VFIO_IRQ_SET_DATA_EVENTFD)
		return vgpu_irq_set_eventfd(slot, *(s32 *)data);
	/* DATA_NONE or DATA_BOOL: a loopback trigger, for testing */
	if (*slot && (type == VFIO_IRQ_SET_DATA_NONE || *(u8 *)data))
		eventfd_signal(*slot, 1);
	return 0;
}

static int vgpu_irq_set_intx(struct vgpu_state *vgpu, struct vfio_irq_set *hdr, void *data)
{
	u32 action = hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	u32 type = hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	bool now = type == VFIO_IRQ_SET_DATA_NONE || (type == VFIO_IRQ_SET_DATA_BOOL &&
						       *(u8 *)data);

	switch (action) {
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		return vgpu_irq_trigger(&vgpu->irq.intx, hdr, data);
	case VFIO_IRQ_SET_ACTION_MASK:
	case VFIO_IRQ_SET_ACTION_UNMASK:
		/* unmasking through a resample eventfd is not offered */
		if (type == VFIO_IRQ_SET_DATA_EVENTFD)
			return -EINVAL;
		if (now && hdr->count)
			vgpu->irq.intx_masked = action == VFIO_IRQ_SET_ACTION_MASK;
		return 0;
	default:
		return -EINVAL;
	}
}

static int vgpu_irq_set_trigger_only(struct eventfd_ctx **slot, struct vfio_irq_set *hdr,
				     void *data)
{
	if ((hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) != VFIO_IRQ_SET_ACTION_TRIGGER)
		return -ENOTTY;
	return vgpu_irq_trigger(slot, hdr, data);
}

/**
 * vgpu_irq_set() - VFIO_DEVICE_SET_IRQS
 * @vgpu: the instance
 * @hdr: the header, already copied in (argsz not yet checked)
 * @data: user pointer to the data after the header
 *
 * Return: 0 or -errno.
 */
int vgpu_irq_set(struct vgpu_state *vgpu, struct vfio_irq_set *hdr, void __user *data)
{
	size_t data_size = 0;
	void *buf = NULL;
	int ret;

	ret = vfio_set_irqs_validate_and_prepare(hdr, vgpu_irq_count(hdr->index),
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	/* count 0 only with DATA_NONE: "disable" */
	if (!hdr->count && (hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) != VFIO_IRQ_SET_DATA_NONE)
		return -EINVAL;
	if (data_size) {
		buf = memdup_user(data, data_size);
		if (IS_ERR(buf))
			return PTR_ERR(buf);
	}

	mutex_lock(&vgpu->lock);
	switch (hdr->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		ret = vgpu_irq_set_intx(vgpu, hdr, buf);
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
		ret = vgpu_irq_set_trigger_only(&vgpu->irq.msi, hdr, buf);
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		ret = vgpu_irq_set_trigger_only(&vgpu->irq.req, hdr, buf);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	mutex_unlock(&vgpu->lock);
	kfree(buf);
	return ret;
}

/**
 * vgpu_irq_raise() - the device interrupts: MSI if the user set it up, else INTx
 * @vgpu: the instance
 */
void vgpu_irq_raise(struct vgpu_state *vgpu)
{
	struct vgpu_irq *irq = &vgpu->irq;

	lockdep_assert_held(&vgpu->lock);
	if (irq->msi) {
		eventfd_signal(irq->msi, 1);
		return;
	}
	if (!irq->intx || irq->intx_masked || vgpu_cfg_intx_disabled(vgpu))
		return;
	irq->intx_masked = true;
	eventfd_signal(irq->intx, 1);
}

/**
 * vgpu_irq_request() - the vfio_device_ops request callback: ask the user to let go
 * @vgpu: the instance
 * @count: how many times we asked before
 */
void vgpu_irq_request(struct vgpu_state *vgpu, unsigned int count)
{
	mutex_lock(&vgpu->lock);
	if (vgpu->irq.req) {
		if (!(count % 10))
			dev_notice_ratelimited(vgpu->vdev.dev,
					       "relaying device request to user (#%u)\n", count);
		eventfd_signal(vgpu->irq.req, 1);
	} else if (count == 0) {
		dev_notice(vgpu->vdev.dev,
			   "no device request channel registered, blocked until released by user\n");
	}
	mutex_unlock(&vgpu->lock);
}

/**
 * vgpu_irq_free() - drop every trigger (device close)
 * @vgpu: the instance
 */
void vgpu_irq_free(struct vgpu_state *vgpu)
{
	lockdep_assert_held(&vgpu->lock);
	vgpu_irq_set_eventfd(&vgpu->irq.intx, -1);
	vgpu_irq_set_eventfd(&vgpu->irq.msi, -1);
	vgpu_irq_set_eventfd(&vgpu->irq.req, -1);
	vgpu->irq.intx_masked = false;
}
