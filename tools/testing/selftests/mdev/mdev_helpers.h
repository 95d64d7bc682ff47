/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the mdev selftests: sysfs reads and writes that return the errno
 * instead of failing, and the paths of the mdev sysfs ABI.
 */
#ifndef __MDEV_HELPERS_H
#define __MDEV_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#define MDEV_DEVICES "/sys/bus/mdev/devices"

#ifdef __KSELFTEST_HARNESS_H
/*
 * The 6.1 harness runs a test body even when its fixture's setup called SKIP(); bodies
 * open with "if (setup_skipped(_metadata)) return;".
 */
static inline bool setup_skipped(const struct __test_metadata *_metadata)
{
	return _metadata->skip;
}
#endif

/* Writes @len bytes of @buf to @path in one write(); returns 0 or the errno. */
static inline int sysfs_write(const char *path, const char *buf, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	n = write(fd, buf, len);
	if (n < 0)
		err = errno;
	else if ((size_t)n != len)
		err = EIO;
	close(fd);
	return err;
}

/* Reads @path into @buf (NUL-terminated, trailing newline dropped); 0 or the errno. */
static inline int sysfs_read(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		err = errno;
		n = 0;
	}
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	close(fd);
	return err;
}

/* Returns the number in @dir/@attr, or -1. */
static inline long sysfs_read_long(const char *dir, const char *attr)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	if (sysfs_read(path, buf, sizeof(buf)))
		return -1;
	return strtol(buf, NULL, 0);
}

static inline int path_exists(const char *fmt, const char *a, const char *b)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), fmt, a, b);
	return lstat(path, &st) == 0;
}

/* Writes @str as given (no newline added) to @type_dir/create. */
static inline int __mdev_create(const char *type_dir, const char *str)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/create", type_dir);
	return sysfs_write(path, str, strlen(str));
}

/* Writes @str to /sys/bus/mdev/devices/@uuid/remove. */
static inline int __mdev_remove(const char *uuid, const char *str)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/remove", uuid);
	return sysfs_write(path, str, strlen(str));
}

static inline int mdev_exists(const char *uuid)
{
	return path_exists(MDEV_DEVICES "/%s%s", uuid, "");
}

#endif /* __MDEV_HELPERS_H */
