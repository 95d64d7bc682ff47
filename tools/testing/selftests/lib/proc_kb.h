/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sizes the kernel reports in kB in /proc files ("Key:   123 kB" lines): this process's
 * locked memory (VmLck in /proc/self/status), which type1 charges pins to, and the like.
 * Suites and the benchmarks reach this header through -I../lib (-I../selftests/lib).
 */
#ifndef SELFTESTS_PROC_KB_H
#define SELFTESTS_PROC_KB_H

#include <stdio.h>
#include <string.h>

/* The value of @key in @path, in kB, or -1 if the file or the key is missing. */
static inline long proc_kb(const char *path, const char *key)
{
	size_t len = strlen(key);
	char line[256];
	long kb = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':' &&
		    sscanf(line + len + 1, "%ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Locked memory of this process in kB (VmLck), -1 if unreadable. */
static inline long vm_locked_kb(void)
{
	return proc_kb("/proc/self/status", "VmLck");
}

#endif /* SELFTESTS_PROC_KB_H */
