// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO_DEVICE_FEATURE ioctl of a device fd, and the migration state machine drivers
 * step through.
 *
 * The core answers the migration features (device->mig_ops) and the DMA logging features
 * (device->log_ops) itself and passes every other feature to device->ops->device_feature.
 * It keeps no state: a driver's ops must cope with any order of requests (a second
 * DMA_LOGGING_START, a REPORT while not logging).
 *
 * Locking: none here. The device fd holds a registration reference on the device for the
 * whole ioctl; drivers serialise their own ops.
 * Lifetime: a migration data file from migration_set_state() is the driver's reference;
 * it is either installed in a new fd or put, never both.
 */
/*
 * linux/compat.h and linux/pci.h are not used here, but they complete types reachable
 * from struct vfio_device (compat robust futex lists and iov_iter; on powerpc the PCI
 * structures its dev_archdata points to) that the stock CRC of vfio_mig_get_next_state()
 * was computed over: without them that CRC differs.
 */
#include <linux/compat.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/interval_tree.h>
#include <linux/pci.h>
#include <linux/iova_bitmap.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vfio.h>

#include "vfio_core.h"

/* DMA_LOGGING_START: the ranges' interval-tree nodes fit in one page of user ranges */
#define VFIO_LOG_MAX_RANGES \
	(PAGE_SIZE / sizeof(struct vfio_device_feature_dma_logging_range))

#define VFIO_MIG_NUM_STATES	(VFIO_DEVICE_STATE_RUNNING_P2P + 1)

/* The migration_flags a device needs for @state; ERROR is never a state to ask for */
static u32 vfio_mig_state_needs(enum vfio_device_mig_state state)
{
	switch (state) {
	case VFIO_DEVICE_STATE_STOP:
	case VFIO_DEVICE_STATE_RUNNING:
	case VFIO_DEVICE_STATE_STOP_COPY:
	case VFIO_DEVICE_STATE_RESUMING:
		return VFIO_MIGRATION_STOP_COPY;
	case VFIO_DEVICE_STATE_RUNNING_P2P:
		return VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P;
	default:
		return ~0U;
	}
}

static bool vfio_mig_state_ok(struct vfio_device *device, enum vfio_device_mig_state state)
{
	u32 needs = vfio_mig_state_needs(state);

	return state < VFIO_MIG_NUM_STATES && (device->migration_flags & needs) == needs;
}

/*
 * The states with every optional one supported form a tree rooted at STOP:
 *
 *	RESUMING - STOP - STOP_COPY
 *	            |
 *	       RUNNING_P2P - RUNNING
 *
 * and each edge is an arc the driver implements both ways. ERROR is outside the tree.
 */
static enum vfio_device_mig_state vfio_mig_parent(enum vfio_device_mig_state state)
{
	if (state == VFIO_DEVICE_STATE_RUNNING)
		return VFIO_DEVICE_STATE_RUNNING_P2P;
	return VFIO_DEVICE_STATE_STOP;
}

/* The first state after @cur on the tree path from @cur to @new */
static enum vfio_device_mig_state vfio_mig_hop(enum vfio_device_mig_state cur,
					       enum vfio_device_mig_state new)
{
	enum vfio_device_mig_state state;

	if (cur == VFIO_DEVICE_STATE_ERROR || new == VFIO_DEVICE_STATE_ERROR)
		return VFIO_DEVICE_STATE_ERROR;
	if (cur == new)
		return cur;

	/* Down towards @new if @cur is one of its ancestors, else up */
	for (state = new; state != VFIO_DEVICE_STATE_STOP; state = vfio_mig_parent(state))
		if (vfio_mig_parent(state) == cur)
			return state;
	return vfio_mig_parent(cur);
}

/**
 * vfio_mig_get_next_state() - the next arc towards a migration state
 * @device: the device; its migration_flags say which optional states exist
 * @cur_fsm: the state the device is in
 * @new_fsm: the state userspace asked for
 * @next_fsm: set to the state to move to next
 *
 * Breaks a request to move from @cur_fsm to @new_fsm into arcs the driver implements,
 * stepping over states the device does not support: without VFIO_MIGRATION_P2P, STOP and
 * RUNNING are linked directly. The driver calls this until *@next_fsm is @new_fsm, moving
 * the device one arc each time. The arcs it must implement are RESUMING <-> STOP <->
 * STOP_COPY, and RUNNING <-> RUNNING_P2P <-> STOP with P2P or STOP <-> RUNNING without.
 *
 * Return: 0; -EINVAL if @new_fsm is not a state the device supports or the path leads to
 * ERROR (*@next_fsm is then VFIO_DEVICE_STATE_ERROR). A @cur_fsm the device cannot be in
 * is a driver bug: -EINVAL and a warning.
 */
int vfio_mig_get_next_state(struct vfio_device *device,
			    enum vfio_device_mig_state cur_fsm,
			    enum vfio_device_mig_state new_fsm,
			    enum vfio_device_mig_state *next_fsm)
{
	enum vfio_device_mig_state state;

	if (WARN_ON_ONCE(!vfio_mig_state_ok(device, cur_fsm)))
		return -EINVAL;
	if (!vfio_mig_state_ok(device, new_fsm))
		return -EINVAL;

	/* @new_fsm is supported, and every hop gets closer to it */
	state = vfio_mig_hop(cur_fsm, new_fsm);
	while (state != VFIO_DEVICE_STATE_ERROR && !vfio_mig_state_ok(device, state))
		state = vfio_mig_hop(state, new_fsm);

	*next_fsm = state;
	return state == VFIO_DEVICE_STATE_ERROR ? -EINVAL : 0;
}
EXPORT_SYMBOL_GPL(vfio_mig_get_next_state);

static int vfio_feature_migration(struct vfio_device *device, u32 flags,
				  void __user *arg, size_t argsz)
{
	struct vfio_device_feature_migration mig = {
		.flags = device->migration_flags,
	};
	int ret;

	if (!device->mig_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET, sizeof(mig));
	if (ret != 1)
		return ret;

	if (copy_to_user(arg, &mig, sizeof(mig)))
		return -EFAULT;
	return 0;
}

/* Give the driver's data file to userspace as a new fd; consumes the file's reference */
static int vfio_feature_mig_install_fd(struct file *filp, void __user *arg,
				       struct vfio_device_feature_mig_state *mig)
{
	int fd, ret;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto err_fput;
	}

	mig->data_fd = fd;
	if (copy_to_user(arg, mig, sizeof(*mig))) {
		ret = -EFAULT;
		goto err_put_fd;
	}

	/* Last step: the fd exists for userspace only from here */
	fd_install(fd, filp);
	return 0;

err_put_fd:
	put_unused_fd(fd);
err_fput:
	fput(filp);
	return ret;
}

/* SET: ask the driver for the state; a data file it returns becomes mig->data_fd */
static int vfio_feature_mig_set_state(struct vfio_device *device, void __user *arg,
				      struct vfio_device_feature_mig_state *mig)
{
	struct file *filp;

	filp = device->mig_ops->migration_set_state(device, mig->device_state);
	if (!IS_ERR_OR_NULL(filp))
		return vfio_feature_mig_install_fd(filp, arg, mig);

	/* The reply is written even when the driver failed */
	mig->data_fd = -1;
	if (copy_to_user(arg, mig, sizeof(*mig)))
		return -EFAULT;
	return PTR_ERR_OR_ZERO(filp);
}

static int vfio_feature_mig_device_state(struct vfio_device *device, u32 flags,
					 void __user *arg, size_t argsz)
{
	struct vfio_device_feature_mig_state mig;
	enum vfio_device_mig_state state;
	int ret;

	if (!device->mig_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz,
				 VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET, sizeof(mig));
	if (ret != 1)
		return ret;

	if (copy_from_user(&mig, arg, offsetofend(typeof(mig), data_fd)))
		return -EFAULT;

	if (flags & VFIO_DEVICE_FEATURE_SET)
		return vfio_feature_mig_set_state(device, arg, &mig);

	ret = device->mig_ops->migration_get_state(device, &state);
	if (ret)
		return ret;
	mig.device_state = state;
	mig.data_fd = -1;
	if (copy_to_user(arg, &mig, sizeof(mig)))
		return -EFAULT;
	return 0;
}

/*
 * Read the user's ranges into @nodes and insert them in @root. Each range must be aligned
 * to @page_size, end at or below ULONG_MAX and overlap none before it.
 */
static int vfio_log_ranges_to_tree(struct rb_root_cached *root,
				   struct interval_tree_node *nodes,
				   struct vfio_device_feature_dma_logging_control *control)
{
	struct vfio_device_feature_dma_logging_range __user *uranges =
		u64_to_user_ptr(control->ranges);
	struct vfio_device_feature_dma_logging_range range;
	u64 end;
	u32 i;

	for (i = 0; i < control->num_ranges; i++) {
		if (copy_from_user(&range, &uranges[i], sizeof(range)))
			return -EFAULT;
		if (!IS_ALIGNED(range.iova, control->page_size) ||
		    !IS_ALIGNED(range.length, control->page_size))
			return -EINVAL;
		if (check_add_overflow(range.iova, range.length, &end) || end > ULONG_MAX)
			return -EOVERFLOW;

		nodes[i].start = range.iova;
		nodes[i].last = range.iova + range.length - 1;
		if (interval_tree_iter_first(root, nodes[i].start, nodes[i].last))
			return -EINVAL;
		interval_tree_insert(&nodes[i], root);
	}
	return 0;
}

static int vfio_feature_log_start(struct vfio_device *device, u32 flags,
				  void __user *arg, size_t argsz)
{
	struct vfio_device_feature_dma_logging_control control;
	struct rb_root_cached root = RB_ROOT_CACHED;
	struct interval_tree_node *nodes;
	int ret;

	if (!device->log_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, sizeof(control));
	if (ret != 1)
		return ret;

	if (copy_from_user(&control, arg, offsetofend(typeof(control), ranges)))
		return -EFAULT;
	if (!control.num_ranges)
		return -EINVAL;
	if (control.num_ranges > VFIO_LOG_MAX_RANGES)
		return -E2BIG;

	nodes = kmalloc_array(control.num_ranges, sizeof(*nodes), GFP_KERNEL);
	if (!nodes)
		return -ENOMEM;

	ret = vfio_log_ranges_to_tree(&root, nodes, &control);
	if (ret)
		goto out_free_nodes;

	/* The driver may round page_size; the tree is only borrowed for the call */
	ret = device->log_ops->log_start(device, &root, control.num_ranges,
					 &control.page_size);
	if (ret)
		goto out_free_nodes;

	if (copy_to_user(arg, &control, sizeof(control))) {
		ret = -EFAULT;
		device->log_ops->log_stop(device);
	}

out_free_nodes:
	kfree(nodes);
	return ret;
}

static int vfio_feature_log_stop(struct vfio_device *device, u32 flags,
				 void __user *arg, size_t argsz)
{
	int ret;

	if (!device->log_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);
	if (ret != 1)
		return ret;

	return device->log_ops->log_stop(device);
}

static int vfio_log_read_and_clear(struct iova_bitmap *bitmap, unsigned long iova,
				   size_t length, void *opaque)
{
	struct vfio_device *device = opaque;

	return device->log_ops->log_read_and_clear(device, iova, length, bitmap);
}

static int vfio_feature_log_report(struct vfio_device *device, u32 flags,
				   void __user *arg, size_t argsz)
{
	struct vfio_device_feature_dma_logging_report report;
	struct iova_bitmap *bitmap;
	u64 end;
	int ret;

	if (!device->log_ops)
		return -ENOTTY;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_GET, sizeof(report));
	if (ret != 1)
		return ret;

	if (copy_from_user(&report, arg, offsetofend(typeof(report), bitmap)))
		return -EFAULT;
	if (report.page_size < SZ_4K || !is_power_of_2(report.page_size))
		return -EINVAL;
	if (check_add_overflow(report.iova, report.length, &end) || end > ULONG_MAX)
		return -EOVERFLOW;

	bitmap = iova_bitmap_alloc(report.iova, report.length, report.page_size,
				   u64_to_user_ptr(report.bitmap));
	if (IS_ERR(bitmap))
		return PTR_ERR(bitmap);

	ret = iova_bitmap_for_each(bitmap, device, vfio_log_read_and_clear);
	iova_bitmap_free(bitmap);
	return ret;
}

/* Flags that make sense together: known bits, and GET with SET only when probing */
static bool vfio_feature_flags_ok(u32 flags)
{
	const u32 known = VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_GET |
			  VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE;
	const u32 get_set = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET;

	if (flags & ~known)
		return false;
	return (flags & VFIO_DEVICE_FEATURE_PROBE) || (flags & get_set) != get_set;
}

/**
 * vfio_device_feature_ioctl() - VFIO_DEVICE_FEATURE on a device fd
 * @device: the device the fd is open on
 * @arg: the user's struct vfio_device_feature; the feature's data follows @arg->flags
 *
 * Checks the header, then answers the migration and DMA logging features from the
 * device's mig_ops and log_ops and passes any other feature to its device_feature op,
 * with the size of the data that follows the header.
 *
 * Return: 0 or what the feature returns (>= 0); -EFAULT, -EINVAL for a short argsz or bad
 * flags, -ENOTTY for a feature the device does not have, or a feature's own error.
 */
int vfio_device_feature_ioctl(struct vfio_device *device,
			      struct vfio_device_feature __user *arg)
{
	size_t minsz = offsetofend(struct vfio_device_feature, flags);
	struct vfio_device_feature feature;
	void __user *data = arg->data;
	size_t argsz;

	if (copy_from_user(&feature, arg, minsz))
		return -EFAULT;
	if (feature.argsz < minsz || !vfio_feature_flags_ok(feature.flags))
		return -EINVAL;
	argsz = feature.argsz - minsz;

	switch (feature.flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
		return vfio_feature_migration(device, feature.flags, data, argsz);
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
		return vfio_feature_mig_device_state(device, feature.flags, data, argsz);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
		return vfio_feature_log_start(device, feature.flags, data, argsz);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
		return vfio_feature_log_stop(device, feature.flags, data, argsz);
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
		return vfio_feature_log_report(device, feature.flags, data, argsz);
	default:
		if (!device->ops->device_feature)
			return -ENOTTY;
		return device->ops->device_feature(device, feature.flags, data, argsz);
	}
}
