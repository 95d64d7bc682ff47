// SPDX-License-Identifier: GPL-2.0-only
/*
 * Simulated physical GPUs: profiles (mdev types) and the placement of instances in VRAM.
 *
 * A GPU's VRAM is cut into VGPU_SLOTS equal slots. A profile of k slots is placed on a
 * k-aligned run of k free slots (as vGPU placement does), so the aligned runs a profile
 * could use never overlap and "how many more fit" is just the count of free aligned runs:
 * that makes available_instances exact for any mix of profiles. With homogeneous placement
 * the first instance on a GPU fixes the profile until the GPU is empty again.
 * Locking: gpu->lock protects gpu->used and gpu->fixed_slots.
 * Lifetime: a GPU lives from vgpu_gpu_init() to vgpu_gpu_destroy() (module load/unload);
 * a reservation from vgpu_gpu_reserve() to vgpu_gpu_release().
 */
#include <linux/bitmap.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "vgpu.h"

/* Profiles from the smallest slice to the whole GPU; resolutions follow the slice size */
const struct vgpu_profile vgpu_profiles[VGPU_NR_PROFILES] = {
	{ .name = "eighth",  .slots = 1, .max_x = 1280, .max_y = 1024, .heads = 1 },
	{ .name = "quarter", .slots = 2, .max_x = 1920, .max_y = 1200, .heads = 1 },
	{ .name = "half",    .slots = 4, .max_x = 2560, .max_y = 1600, .heads = 2 },
	{ .name = "whole",   .slots = 8, .max_x = 4096, .max_y = 2160, .heads = 4 },
};

static const char * const vgpu_pretty_names[VGPU_NR_PROFILES] = {
	"vGPU 1/8", "vGPU 1/4", "vGPU 1/2", "vGPU 1/1",
};

static bool vgpu_gpu_run_free(struct vgpu_gpu *gpu, unsigned int first, unsigned int slots)
{
	unsigned long run = GENMASK(first + slots - 1, first);

	return !(gpu->used & run);
}

static bool vgpu_gpu_profile_allowed(struct vgpu_gpu *gpu, const struct vgpu_profile *profile)
{
	lockdep_assert_held(&gpu->lock);
	return !vgpu_homogeneous || !gpu->fixed_slots || gpu->fixed_slots == profile->slots;
}

/**
 * vgpu_gpu_available() - how many more instances of a profile fit on a GPU
 * @gpu: the GPU
 * @profile: the profile
 *
 * Return: the number of free aligned runs for @profile (0 if the policy forbids it).
 */
unsigned int vgpu_gpu_available(struct vgpu_gpu *gpu, const struct vgpu_profile *profile)
{
	unsigned int first, n = 0;

	mutex_lock(&gpu->lock);
	if (vgpu_gpu_profile_allowed(gpu, profile)) {
		for (first = 0; first < VGPU_SLOTS; first += profile->slots)
			n += vgpu_gpu_run_free(gpu, first, profile->slots);
	}
	mutex_unlock(&gpu->lock);
	return n;
}

/**
 * vgpu_gpu_reserve() - place an instance of a profile on a GPU
 * @gpu: the GPU
 * @profile: the profile
 *
 * Return: the first slot of the reserved run, or -ENOSPC when none is free (or the
 * homogeneous policy forbids the profile).
 */
int vgpu_gpu_reserve(struct vgpu_gpu *gpu, const struct vgpu_profile *profile)
{
	unsigned int first;
	int ret = -ENOSPC;

	mutex_lock(&gpu->lock);
	if (!vgpu_gpu_profile_allowed(gpu, profile))
		goto out_unlock;
	for (first = 0; first < VGPU_SLOTS; first += profile->slots) {
		if (!vgpu_gpu_run_free(gpu, first, profile->slots))
			continue;
		gpu->used |= GENMASK(first + profile->slots - 1, first);
		gpu->fixed_slots = profile->slots;
		ret = first;
		break;
	}
out_unlock:
	mutex_unlock(&gpu->lock);
	return ret;
}

/**
 * vgpu_gpu_release() - undo vgpu_gpu_reserve() and scrub the slice
 * @gpu: the GPU
 * @first: what vgpu_gpu_reserve() returned
 * @slots: the profile's slot count
 */
void vgpu_gpu_release(struct vgpu_gpu *gpu, unsigned int first, unsigned int slots)
{
	unsigned long slot_pages = gpu->vram.npages / VGPU_SLOTS;

	vgpu_vram_scrub(&gpu->vram, first * slot_pages, slots * slot_pages);
	mutex_lock(&gpu->lock);
	gpu->used &= ~GENMASK(first + slots - 1, first);
	if (!gpu->used)
		gpu->fixed_slots = 0;
	mutex_unlock(&gpu->lock);
}

/**
 * vgpu_gpu_init() - set up a GPU's VRAM and types (not yet registered anywhere)
 * @gpu: zeroed GPU
 * @vram_size: bytes of VRAM, a power of two of at least VGPU_SLOTS pages
 *
 * Return: 0 or -ENOMEM.
 */
int vgpu_gpu_init(struct vgpu_gpu *gpu, u64 vram_size)
{
	int i;

	mutex_init(&gpu->lock);
	gpu->vram_size = vram_size;
	for (i = 0; i < VGPU_NR_PROFILES; i++) {
		gpu->types[i].type.sysfs_name = vgpu_profiles[i].name;
		gpu->types[i].type.pretty_name = vgpu_pretty_names[i];
		gpu->types[i].profile = &vgpu_profiles[i];
		gpu->types[i].gpu = gpu;
		gpu->mtypes[i] = &gpu->types[i].type;
	}
	return vgpu_vram_init(&gpu->vram, vram_size);
}

/**
 * vgpu_gpu_destroy() - free what vgpu_gpu_init() set up
 * @gpu: the GPU, with no instance left
 */
void vgpu_gpu_destroy(struct vgpu_gpu *gpu)
{
	vgpu_vram_destroy(&gpu->vram);
	mutex_destroy(&gpu->lock);
}
