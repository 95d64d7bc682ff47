/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * CAP_IPC_LOCK for the suites that test RLIMIT_MEMLOCK (vfio, vgpu): the suites run as root,
 * which is exempt from the limit while the capability is effective. Type1 reads it when a
 * mapping is made, so a test drops it before MAP_DMA and raises it again afterwards.
 * Suites reach this header through -I../lib in their Makefiles.
 */
#ifndef SELFTESTS_IPC_LOCK_H
#define SELFTESTS_IPC_LOCK_H

#include <errno.h>
#include <stdbool.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>

/* Raise or drop CAP_IPC_LOCK in the effective set (root keeps it permitted). 0 or -errno. */
static inline int set_ipc_lock(bool on)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	if (on)
		data[0].effective |= 1u << CAP_IPC_LOCK;
	else
		data[0].effective &= ~(1u << CAP_IPC_LOCK);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

#endif /* SELFTESTS_IPC_LOCK_H */
