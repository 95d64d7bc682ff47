// SPDX-License-Identifier: GPL-2.0-only
/*
 * Helpers for bus drivers' info and SET_IRQS ioctls: building a chain of capabilities to
 * append to a *_INFO reply, and checking a VFIO_DEVICE_SET_IRQS header.
 *
 * A chain lives in one kernel buffer (struct vfio_info_cap): each header's @next is the
 * offset of the following header from the start of the buffer, 0 ending the chain. The
 * driver copies the buffer behind its reply, so before copying it shifts the offsets by
 * where the buffer lands in the reply (vfio_info_cap_shift()).
 *
 * No state and no locking: the caller owns the buffer it passes in.
 */
#include <linux/slab.h>
#include <linux/vfio.h>

/* The last header of a non-empty chain */
static struct vfio_info_cap_header *vfio_info_cap_tail(struct vfio_info_cap *caps)
{
	struct vfio_info_cap_header *hdr = caps->buf;

	while (hdr->next)
		hdr = (void *)caps->buf + hdr->next;
	return hdr;
}

/**
 * vfio_info_cap_add() - append a zeroed capability to a chain
 * @caps: the chain; @caps->buf is NULL and @caps->size 0 for an empty one
 * @size: size of the capability, header included
 * @id: capability id
 * @version: capability version
 *
 * Grows the buffer by @size, links the new capability at the end of the chain and fills
 * in its @id and @version. The buffer may move: pointers into it do not survive the call.
 * On failure the whole chain is freed and @caps left empty.
 *
 * Return: the new capability's header, or ERR_PTR(-ENOMEM).
 */
struct vfio_info_cap_header *vfio_info_cap_add(struct vfio_info_cap *caps,
					       size_t size, u16 id, u16 version)
{
	struct vfio_info_cap_header *hdr;
	void *buf;

	buf = krealloc(caps->buf, caps->size + size, GFP_KERNEL);
	if (!buf) {
		kfree(caps->buf);
		caps->buf = NULL;
		caps->size = 0;
		return ERR_PTR(-ENOMEM);
	}
	caps->buf = buf;

	hdr = buf + caps->size;
	memset(hdr, 0, size);
	hdr->id = id;
	hdr->version = version;

	/* The first capability is at offset 0 and is its own tail: @next stays 0 */
	vfio_info_cap_tail(caps)->next = caps->size;
	caps->size += size;
	return hdr;
}
EXPORT_SYMBOL_GPL(vfio_info_cap_add);

/**
 * vfio_info_cap_shift() - rebase a chain's offsets for copying behind a reply
 * @caps: a non-empty chain
 * @offset: where the chain's buffer starts in the reply, in bytes
 *
 * Adds @offset to every non-zero @next, so offsets count from the start of the reply.
 * The chain must not be walked or grown in kernel afterwards.
 */
void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset)
{
	struct vfio_info_cap_header *hdr = caps->buf;
	u32 next;

	while (hdr->next) {
		next = hdr->next;
		hdr->next += offset;
		hdr = (void *)caps->buf + next;
	}
}
EXPORT_SYMBOL(vfio_info_cap_shift);

/**
 * vfio_info_add_capability() - append a copy of a filled-in capability to a chain
 * @caps: the chain
 * @cap: the capability: its header's @id and @version, then its payload
 * @size: size of @cap, header included
 *
 * Return: 0, or -ENOMEM (the chain is then freed, as by vfio_info_cap_add()).
 */
int vfio_info_add_capability(struct vfio_info_cap *caps,
			     struct vfio_info_cap_header *cap, size_t size)
{
	struct vfio_info_cap_header *hdr;

	hdr = vfio_info_cap_add(caps, size, cap->id, cap->version);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);

	memcpy(hdr + 1, cap + 1, size - sizeof(*hdr));
	return 0;
}
EXPORT_SYMBOL(vfio_info_add_capability);

/* Bytes of data per vector for a SET_IRQS data type, or -EINVAL for an unknown type */
static int vfio_irq_set_elem_size(u32 flags)
{
	switch (flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		return 0;
	case VFIO_IRQ_SET_DATA_BOOL:
		return sizeof(u8);
	case VFIO_IRQ_SET_DATA_EVENTFD:
		return sizeof(s32);
	default:
		return -EINVAL;
	}
}

/**
 * vfio_set_irqs_validate_and_prepare() - check a VFIO_DEVICE_SET_IRQS header
 * @hdr: the header, as copied from userspace (argsz bytes follow it there)
 * @num_irqs: number of vectors of the IRQ index @hdr->index
 * @max_irq_type: number of IRQ indexes of the device
 * @data_size: set to the size of the data that follows the header; may be NULL only if
 *	the caller accepts no data (then any data type but NONE is refused)
 *
 * Checks that argsz covers the header, the index and the vector range exist, the flags
 * are known and argsz covers the data the data type asks for.
 *
 * Return: 0 or -EINVAL.
 */
int vfio_set_irqs_validate_and_prepare(struct vfio_irq_set *hdr, int num_irqs,
				       int max_irq_type, size_t *data_size)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	int elem;

	if (hdr->argsz < minsz || hdr->index >= max_irq_type)
		return -EINVAL;
	if (hdr->count >= U32_MAX - hdr->start)
		return -EINVAL;
	if (hdr->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK))
		return -EINVAL;

	if (data_size)
		*data_size = 0;

	if (hdr->start >= num_irqs || hdr->start + hdr->count > num_irqs)
		return -EINVAL;

	elem = vfio_irq_set_elem_size(hdr->flags);
	if (elem <= 0)
		return elem;

	/* count < U32_MAX, so count * elem fits in a size_t */
	if (hdr->argsz - minsz < (size_t)hdr->count * elem || !data_size)
		return -EINVAL;

	*data_size = (size_t)hdr->count * elem;
	return 0;
}
EXPORT_SYMBOL(vfio_set_irqs_validate_and_prepare);
