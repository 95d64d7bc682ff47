/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Declarations shared by the files of mdev.ko; nothing here is seen by other modules.
 *
 * Layering (a file only calls the ones below it):
 *   main.c    module init/exit
 *   parent.c  mdev_register_parent()/mdev_unregister_parent(), the mdev_bus class
 *   type.c    type kobjects and their sysfs attributes, "create"
 *   usage.c   single_usage_restriction: side table, its attribute, the VFIO policy
 *   device.c  mdev creation, removal, release, "remove" and the sysfs links
 *   bus.c     mdev_bus_type and mdev drivers
 *
 * Keep this header free of includes that define structures reachable from the stock
 * exported prototypes: the modversions CRCs of parent.c and bus.c depend on exactly
 * which structure definitions those files see.
 */
#ifndef __MDEV_PRIVATE_H
#define __MDEV_PRIVATE_H

#include <linux/mdev.h>

/**
 * struct mdev_type_attribute - a sysfs file in a type's directory
 * @attr: the sysfs attribute
 * @show: formats the value of @type into @buf (optional)
 * @store: parses @buf for @type, returns @count or an errno (optional)
 */
struct mdev_type_attribute {
	struct attribute attr;
	ssize_t (*show)(struct mdev_type *type, char *buf);
	ssize_t (*store)(struct mdev_type *type, const char *buf, size_t count);
};

/* bus.c */
extern struct bus_type mdev_bus_type;
int mdev_bus_init(void);
void mdev_bus_exit(void);

/* device.c */
int mdev_device_create(struct mdev_type *type, const guid_t *uuid);
void mdev_device_remove_all(struct mdev_parent *parent);

/* usage.c */
extern const struct attribute_group mdev_usage_type_group;
void mdev_usage_forget(struct mdev_type *type);

/* type.c */
int mdev_types_add(struct mdev_parent *parent);
void mdev_types_remove(struct mdev_parent *parent);

/* parent.c */
int mdev_parents_init(void);
void mdev_parents_exit(void);

#endif /* __MDEV_PRIVATE_H */
