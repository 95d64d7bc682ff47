// SPDX-License-Identifier: GPL-2.0-only
/*
 * Groups of a type1 container: attach and detach, and the dirty scope they imply.
 *
 * A physical group gets an IOMMU domain (domain.c); an emulated group (mdev) only joins
 * emulated_groups. A group may write memory without pinning it, and so counts in
 * num_non_pinned_groups, if it is physical and none of its devices ever pinned a page
 * (pinned_page_dirty_scope); emulated groups are always in pinned scope.
 * When the last domain goes, its mappings go too unless emulated groups remain; then they
 * stay unpinned, as mappings of a container without domains are.
 * Locking: the core calls attach/detach with its group lock held; iommu->lock inside.
 */
#include <linux/slab.h>

#include "type1.h"

/**
 * type1_find_group() - the entry of an attached group
 * @iommu: the container
 * @iommu_group: the group
 *
 * Return: the entry or NULL.
 */
struct type1_group *type1_find_group(struct type1_iommu *iommu,
				     struct iommu_group *iommu_group)
{
	struct type1_domain *domain;
	struct type1_group *group;

	lockdep_assert_held(&iommu->lock);
	list_for_each_entry(domain, &iommu->domain_list, next) {
		group = type1_domain_find_group(domain, iommu_group);
		if (group)
			return group;
	}
	list_for_each_entry(group, &iommu->emulated_groups, next)
		if (group->iommu_group == iommu_group)
			return group;
	return NULL;
}

/**
 * type1_attach_group() - the @attach_group op
 * @iommu_data: the container
 * @iommu_group: the group
 * @type: physical, emulated or no-IOMMU
 *
 * Return: 0, -EBUSY while a vaddr is invalidated, -EINVAL for a group already attached or
 *         an IOVA conflict, -EPERM without interrupt remapping, or the IOMMU's -errno.
 */
int type1_attach_group(void *iommu_data, struct iommu_group *iommu_group,
		       enum vfio_group_type type)
{
	struct type1_iommu *iommu = iommu_data;
	struct type1_group *group;
	int ret;

	mutex_lock(&iommu->lock);
	/* A physical group needs its mappings pinned, which needs their vaddr */
	ret = -EBUSY;
	if (iommu->vaddr_invalid_count)
		goto out_unlock;
	ret = -EINVAL;
	if (type1_find_group(iommu, iommu_group))
		goto out_unlock;

	ret = -ENOMEM;
	group = kzalloc(sizeof(*group), GFP_KERNEL_ACCOUNT);
	if (!group)
		goto out_unlock;
	group->iommu_group = iommu_group;

	if (type == VFIO_EMULATED_IOMMU) {
		/* It can only dirty memory through interfaces that track it */
		group->pinned_page_dirty_scope = true;
		list_add(&group->next, &iommu->emulated_groups);
		ret = 0;
		goto out_unlock;
	}

	ret = type1_domain_attach(iommu, group);
	if (ret) {
		kfree(group);
		goto out_unlock;
	}
	iommu->num_non_pinned_groups++;
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

/* The last domain goes: mappings go with it, or stay unpinned for emulated groups. */
static void type1_last_domain_gone(struct type1_iommu *iommu)
{
	if (list_empty(&iommu->emulated_groups)) {
		WARN_ON_ONCE(!list_empty(&iommu->device_list));
		type1_dma_remove_all(iommu);
	} else {
		type1_dma_unpin_all(iommu);
	}
}

/* Return: the group was not in pinned scope. */
static bool type1_detach_emulated(struct type1_iommu *iommu, struct type1_group *group)
{
	bool scope = !group->pinned_page_dirty_scope;

	list_del(&group->next);
	kfree(group);
	if (list_empty(&iommu->emulated_groups) && list_empty(&iommu->domain_list)) {
		WARN_ON_ONCE(!list_empty(&iommu->device_list));
		type1_dma_remove_all(iommu);
	}
	return scope;
}

/* Return: the group was not in pinned scope. */
static bool type1_detach_physical(struct type1_iommu *iommu,
				  struct iommu_group *iommu_group)
{
	struct type1_domain *domain;
	struct type1_group *group;
	bool scope;

	list_for_each_entry(domain, &iommu->domain_list, next) {
		group = type1_domain_find_group(domain, iommu_group);
		if (group)
			goto found;
	}
	return false;

found:
	iommu_detach_group(domain->domain, iommu_group);
	scope = !group->pinned_page_dirty_scope;
	list_del(&group->next);
	kfree(group);
	if (list_empty(&domain->group_list)) {
		if (list_is_singular(&iommu->domain_list))
			type1_last_domain_gone(iommu);
		type1_domain_free(iommu, domain);
	}
	type1_iova_refresh(iommu);
	return scope;
}

/**
 * type1_detach_group() - the @detach_group op
 * @iommu_data: the container
 * @iommu_group: an attached group
 */
void type1_detach_group(void *iommu_data, struct iommu_group *iommu_group)
{
	struct type1_iommu *iommu = iommu_data;
	struct type1_group *group;
	bool scope = false;

	mutex_lock(&iommu->lock);
	list_for_each_entry(group, &iommu->emulated_groups, next) {
		if (group->iommu_group == iommu_group) {
			scope = type1_detach_emulated(iommu, group);
			goto done;
		}
	}
	scope = type1_detach_physical(iommu, iommu_group);
done:
	/* Without a group that dirties unpinned memory, only pins are reported from now on */
	if (scope) {
		iommu->num_non_pinned_groups--;
		if (iommu->dirty_tracking)
			type1_dirty_mark_all(iommu);
	}
	mutex_unlock(&iommu->lock);
}

/**
 * type1_group_iommu_domain() - the @group_iommu_domain op
 * @iommu_data: the container
 * @iommu_group: a group
 *
 * Return: the IOMMU domain of an attached physical group, ERR_PTR(-ENODEV) otherwise.
 */
struct iommu_domain *type1_group_iommu_domain(void *iommu_data,
					      struct iommu_group *iommu_group)
{
	struct iommu_domain *ret = ERR_PTR(-ENODEV);
	struct type1_iommu *iommu = iommu_data;
	struct type1_domain *d;

	if (!iommu || !iommu_group)
		return ERR_PTR(-EINVAL);

	mutex_lock(&iommu->lock);
	list_for_each_entry(d, &iommu->domain_list, next) {
		if (type1_domain_find_group(d, iommu_group)) {
			ret = d->domain;
			break;
		}
	}
	mutex_unlock(&iommu->lock);
	return ret;
}
