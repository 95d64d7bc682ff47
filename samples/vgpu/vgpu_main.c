// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu.ko: a vGPU-style sample vendor driver on the stock VFIO/mdev in-kernel API.
 *
 * At load, creates `gpus` simulated physical GPUs of `vram_mb` MiB each, every one an mdev
 * parent offering the profiles of vgpu_gpu.c; each instance is a PCI display function that
 * bochs-drm drives, with a copy engine (vgpu_regs.h). Fractional profiles are declared
 * single-usage through our extension mdev_type_set_single_usage(), reached with
 * symbol_get() so that the module loads on the stock mdev as well (where it is absent).
 * Lifetime: GPUs and the mdev driver exist from module init to exit; no lock is needed here
 * because init and exit are serialised by the module loader.
 */
#include <linux/device.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio_usage.h>

#include "vgpu.h"

static unsigned int vgpu_nr_gpus = 1;
module_param_named(gpus, vgpu_nr_gpus, uint, 0444);
MODULE_PARM_DESC(gpus, "number of simulated physical GPUs (1-8, default 1)");

static unsigned int vgpu_vram_mb = 256;
module_param_named(vram_mb, vgpu_vram_mb, uint, 0444);
MODULE_PARM_DESC(vram_mb, "VRAM per GPU in MiB, a power of two (8-2048, default 256)");

bool vgpu_homogeneous;
module_param_named(homogeneous, vgpu_homogeneous, bool, 0444);
MODULE_PARM_DESC(homogeneous, "homogeneous placement: the first instance fixes a GPU's profile");

#define VGPU_MAX_GPUS	8

static struct class *vgpu_class;
static struct vgpu_gpu *vgpu_gpus[VGPU_MAX_GPUS];

static struct vgpu_type *to_vgpu_type(struct mdev_type *mtype)
{
	return container_of(mtype, struct vgpu_type, type);
}

static unsigned int vgpu_type_available(struct mdev_type *mtype)
{
	struct vgpu_type *type = to_vgpu_type(mtype);

	return vgpu_gpu_available(type->gpu, type->profile);
}

static ssize_t vgpu_type_description(struct mdev_type *mtype, char *buf)
{
	struct vgpu_type *type = to_vgpu_type(mtype);
	const struct vgpu_profile *profile = type->profile;
	u64 vram = type->gpu->vram_size / VGPU_SLOTS * profile->slots;

	return sysfs_emit(buf, "VRAM %llu MiB, max resolution %ux%u, %u head%s\n",
			  vram >> 20, profile->max_x, profile->max_y, profile->heads,
			  profile->heads > 1 ? "s" : "");
}

static struct mdev_driver vgpu_mdev_driver = {
	.device_api = VFIO_DEVICE_API_PCI_STRING,
	.driver = {
		.name = "vgpu",
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
	.probe = vgpu_probe,
	.remove = vgpu_remove,
	.get_available = vgpu_type_available,
	.show_description = vgpu_type_description,
};

/* Our extension: fractional profiles are single-usage; absent on the stock stack */
static void vgpu_gpu_declare_usage(struct vgpu_gpu *gpu)
{
	int (*set_single_usage)(struct mdev_type *type, bool restricted);
	int i, ret;

	set_single_usage = symbol_get(mdev_type_set_single_usage);
	if (!set_single_usage)
		return;
	for (i = 0; i < VGPU_NR_PROFILES; i++) {
		ret = set_single_usage(&gpu->types[i].type,
				       vgpu_profiles[i].slots < VGPU_SLOTS);
		if (ret)
			dev_warn(&gpu->dev, "single usage of %s: %d\n",
				 vgpu_profiles[i].name, ret);
	}
	symbol_put(mdev_type_set_single_usage);
}

static void vgpu_gpu_dev_release(struct device *dev)
{
	struct vgpu_gpu *gpu = container_of(dev, struct vgpu_gpu, dev);

	vgpu_gpu_destroy(gpu);
	kfree(gpu);
}

static struct vgpu_gpu *vgpu_gpu_create(unsigned int index)
{
	struct vgpu_gpu *gpu;
	int ret;

	gpu = kzalloc(sizeof(*gpu), GFP_KERNEL);
	if (!gpu)
		return ERR_PTR(-ENOMEM);
	ret = vgpu_gpu_init(gpu, (u64)vgpu_vram_mb << 20);
	if (ret) {
		kfree(gpu);
		return ERR_PTR(ret);
	}
	/* From here on the release function frees the GPU */
	gpu->dev.class = vgpu_class;
	gpu->dev.release = vgpu_gpu_dev_release;
	device_initialize(&gpu->dev);
	ret = dev_set_name(&gpu->dev, "vgpu%u", index);
	if (ret)
		goto err_put;
	ret = device_add(&gpu->dev);
	if (ret)
		goto err_put;
	ret = mdev_register_parent(&gpu->parent, &gpu->dev, &vgpu_mdev_driver,
				   gpu->mtypes, VGPU_NR_PROFILES);
	if (ret)
		goto err_del;
	vgpu_gpu_declare_usage(gpu);
	return gpu;

err_del:
	device_del(&gpu->dev);
err_put:
	put_device(&gpu->dev);
	return ERR_PTR(ret);
}

static void vgpu_gpu_remove(struct vgpu_gpu *gpu)
{
	mdev_unregister_parent(&gpu->parent);
	device_unregister(&gpu->dev);
}

static void vgpu_remove_gpus(void)
{
	int i;

	for (i = VGPU_MAX_GPUS - 1; i >= 0; i--) {
		if (vgpu_gpus[i])
			vgpu_gpu_remove(vgpu_gpus[i]);
		vgpu_gpus[i] = NULL;
	}
}

static int vgpu_check_params(void)
{
	if (!vgpu_nr_gpus || vgpu_nr_gpus > VGPU_MAX_GPUS) {
		pr_err("vgpu: gpus=%u out of range 1-%d\n", vgpu_nr_gpus, VGPU_MAX_GPUS);
		return -EINVAL;
	}
	if (!is_power_of_2(vgpu_vram_mb) || vgpu_vram_mb < 8 || vgpu_vram_mb > 2048) {
		pr_err("vgpu: vram_mb=%u is not a power of two in 8-2048\n", vgpu_vram_mb);
		return -EINVAL;
	}
	return 0;
}

static int __init vgpu_init(void)
{
	unsigned int i;
	int ret;

	ret = vgpu_check_params();
	if (ret)
		return ret;
	ret = mdev_register_driver(&vgpu_mdev_driver);
	if (ret)
		return ret;
	vgpu_class = class_create(THIS_MODULE, "vgpu");
	if (IS_ERR(vgpu_class)) {
		ret = PTR_ERR(vgpu_class);
		goto err_driver;
	}
	for (i = 0; i < vgpu_nr_gpus; i++) {
		vgpu_gpus[i] = vgpu_gpu_create(i);
		if (IS_ERR(vgpu_gpus[i])) {
			ret = PTR_ERR(vgpu_gpus[i]);
			vgpu_gpus[i] = NULL;
			goto err_gpus;
		}
	}
	return 0;

err_gpus:
	vgpu_remove_gpus();
	class_destroy(vgpu_class);
err_driver:
	mdev_unregister_driver(&vgpu_mdev_driver);
	return ret;
}

static void __exit vgpu_exit(void)
{
	vgpu_remove_gpus();
	class_destroy(vgpu_class);
	mdev_unregister_driver(&vgpu_mdev_driver);
}

module_init(vgpu_init);
module_exit(vgpu_exit);
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_DESCRIPTION("vGPU sample: sliceable virtual GPUs (bochs dispi display + copy engine)");
