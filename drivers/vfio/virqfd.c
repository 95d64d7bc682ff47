// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_virqfd: run a VFIO bus driver's callbacks when userspace signals an eventfd.
 *
 * A struct virqfd (layout fixed by <linux/vfio.h>) hangs a wait-queue entry on the eventfd.
 * On a signal the entry's wake function runs in atomic context (the eventfd's wait-queue
 * lock is held, interrupts off): it consumes the count and calls the driver's handler; if
 * there is no handler or it returns non-zero, the thread callback is queued on the system
 * workqueue (@inject).
 *
 * Lifetime: the driver owns a slot (struct virqfd **) that points to the virqfd while it is
 * live. Whoever clears the slot, vfio_virqfd_disable() or the eventfd's EPOLLHUP, queues
 * the teardown (@shutdown) on virqfd_wq; the teardown unhooks the wait entry, waits for a
 * running thread callback and frees the virqfd. Flushing virqfd_wq therefore means every
 * virqfd detached so far is gone.
 *
 * Locking: virqfd_lock (irq-safe, taken from the wake function) protects every slot; a
 * virqfd is queued for teardown exactly once, by whoever clears its slot under the lock.
 */
#include <linux/vfio.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/slab.h>

/* Runs every teardown and flush; ordered, so a flush waits for what was queued before it */
static struct workqueue_struct *virqfd_wq;
static DEFINE_SPINLOCK(virqfd_lock);

/* Hand the virqfd to its teardown; the caller has just cleared its slot */
static void virqfd_detach_locked(struct virqfd *virqfd)
{
	lockdep_assert_held(&virqfd_lock);
	queue_work(virqfd_wq, &virqfd->shutdown);
}

/* An event arrived: the handler decides in atomic context whether the thread runs */
static void virqfd_signal(struct virqfd *virqfd)
{
	if (virqfd->handler && !virqfd->handler(virqfd->opaque, virqfd->data))
		return;
	if (virqfd->thread)
		schedule_work(&virqfd->inject);
}

/* Called with the eventfd's wait-queue lock held and interrupts disabled */
static int virqfd_wake(wait_queue_entry_t *wait, unsigned int mode, int sync, void *key)
{
	struct virqfd *virqfd = container_of(wait, struct virqfd, wait);
	__poll_t events = key_to_poll(key);
	unsigned long flags;
	u64 count;

	if (events & EPOLLIN) {
		eventfd_ctx_do_read(virqfd->eventfd, &count);
		virqfd_signal(virqfd);
	}

	if (events & EPOLLHUP) {
		/*
		 * The eventfd is being released. The virqfd cannot be freed under us: its
		 * teardown must take this wait-queue's lock to unhook it. It may already be
		 * detached by vfio_virqfd_disable(), in which case the slot no longer points
		 * to it (and may point to a newer virqfd).
		 */
		spin_lock_irqsave(&virqfd_lock, flags);
		if (*virqfd->pvirqfd == virqfd) {
			*virqfd->pvirqfd = NULL;
			virqfd_detach_locked(virqfd);
		}
		spin_unlock_irqrestore(&virqfd_lock, flags);
	}
	return 0;
}

static void virqfd_queue_proc(struct file *file, wait_queue_head_t *wqh, poll_table *pt)
{
	struct virqfd *virqfd = container_of(pt, struct virqfd, pt);

	add_wait_queue(wqh, &virqfd->wait);
}

static void virqfd_run_thread(struct work_struct *work)
{
	struct virqfd *virqfd = container_of(work, struct virqfd, inject);

	virqfd->thread(virqfd->opaque, virqfd->data);
}

static void virqfd_wait_thread(struct work_struct *work)
{
	struct virqfd *virqfd = container_of(work, struct virqfd, flush_inject);

	flush_work(&virqfd->inject);
}

static void virqfd_teardown(struct work_struct *work)
{
	struct virqfd *virqfd = container_of(work, struct virqfd, shutdown);
	u64 count;

	/* After this no wake function runs, so nothing queues @inject again */
	eventfd_ctx_remove_wait_queue(virqfd->eventfd, &virqfd->wait, &count);
	flush_work(&virqfd->inject);
	eventfd_ctx_put(virqfd->eventfd);
	kfree(virqfd);
}

static struct virqfd *virqfd_alloc(void *opaque, int (*handler)(void *, void *),
				   void (*thread)(void *, void *), void *data,
				   struct virqfd **pvirqfd)
{
	struct virqfd *virqfd;

	virqfd = kzalloc(sizeof(*virqfd), GFP_KERNEL_ACCOUNT);
	if (!virqfd)
		return NULL;

	virqfd->opaque = opaque;
	virqfd->handler = handler;
	virqfd->thread = thread;
	virqfd->data = data;
	virqfd->pvirqfd = pvirqfd;
	INIT_WORK(&virqfd->inject, virqfd_run_thread);
	INIT_WORK(&virqfd->shutdown, virqfd_teardown);
	INIT_WORK(&virqfd->flush_inject, virqfd_wait_thread);
	init_waitqueue_func_entry(&virqfd->wait, virqfd_wake);
	init_poll_funcptr(&virqfd->pt, virqfd_queue_proc);
	return virqfd;
}

/* Claim the driver's slot; fails if it already holds a virqfd */
static int virqfd_publish(struct virqfd *virqfd)
{
	int ret = 0;

	spin_lock_irq(&virqfd_lock);
	if (*virqfd->pvirqfd)
		ret = -EBUSY;
	else
		*virqfd->pvirqfd = virqfd;
	spin_unlock_irq(&virqfd_lock);
	return ret;
}

/**
 * vfio_virqfd_enable() - call back into a driver whenever an eventfd is signalled
 * @opaque: first argument of @handler and @thread
 * @handler: called in atomic context on each signal; its non-zero return, or a NULL
 *	@handler, makes @thread run. May be NULL.
 * @thread: called from a workqueue after @handler asks for it. May be NULL.
 * @data: second argument of @handler and @thread
 * @pvirqfd: the driver's slot; must be NULL, and holds the new virqfd until
 *	vfio_virqfd_disable() or the eventfd's release clears it
 * @fd: the eventfd
 *
 * A signal pending on the eventfd when this is called is handled at once.
 *
 * Context: process context; takes and releases a reference to @fd.
 * Return: 0, -ENOMEM, -EBADF if @fd is not open, -EINVAL if it is not an eventfd,
 * -EBUSY if @pvirqfd already holds a virqfd.
 */
int vfio_virqfd_enable(void *opaque, int (*handler)(void *, void *),
		       void (*thread)(void *, void *), void *data,
		       struct virqfd **pvirqfd, int fd)
{
	struct eventfd_ctx *ctx;
	struct virqfd *virqfd;
	__poll_t events;
	struct fd f;
	int ret;

	virqfd = virqfd_alloc(opaque, handler, thread, data, pvirqfd);
	if (!virqfd)
		return -ENOMEM;

	f = fdget(fd);
	if (!f.file) {
		ret = -EBADF;
		goto err_free;
	}

	ctx = eventfd_ctx_fileget(f.file);
	if (IS_ERR(ctx)) {
		ret = PTR_ERR(ctx);
		goto err_fdput;
	}
	virqfd->eventfd = ctx;

	ret = virqfd_publish(virqfd);
	if (ret)
		goto err_ctx;

	/*
	 * Hook into the eventfd. We still hold the file, so its EPOLLHUP cannot come before
	 * the hook is in place and the pending signal below has been handled.
	 */
	events = vfs_poll(f.file, &virqfd->pt);
	if (events & EPOLLIN)
		virqfd_signal(virqfd);

	fdput(f);
	return 0;

err_ctx:
	eventfd_ctx_put(ctx);
err_fdput:
	fdput(f);
err_free:
	kfree(virqfd);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_virqfd_enable);

/**
 * vfio_virqfd_disable() - stop and free the virqfd in a driver's slot
 * @pvirqfd: the slot given to vfio_virqfd_enable()
 *
 * Clears the slot and returns once the virqfd, or one the eventfd's release detached
 * before, is freed and its thread callback has finished. An empty slot is fine.
 *
 * Context: process context; may sleep. Must not be called from the thread callback.
 */
void vfio_virqfd_disable(struct virqfd **pvirqfd)
{
	unsigned long flags;

	spin_lock_irqsave(&virqfd_lock, flags);
	if (*pvirqfd) {
		virqfd_detach_locked(*pvirqfd);
		*pvirqfd = NULL;
	}
	spin_unlock_irqrestore(&virqfd_lock, flags);

	/* Also waits for a teardown an EPOLLHUP queued before we looked at the slot */
	flush_workqueue(virqfd_wq);
}
EXPORT_SYMBOL_GPL(vfio_virqfd_disable);

/**
 * vfio_virqfd_flush_thread() - wait for the thread callback of a driver's virqfd
 * @pvirqfd: the slot given to vfio_virqfd_enable()
 *
 * Returns once a thread callback queued or running when this is called has finished.
 *
 * Context: process context; may sleep. Must not be called from the thread callback.
 */
void vfio_virqfd_flush_thread(struct virqfd **pvirqfd)
{
	unsigned long flags;

	/* The lock keeps the virqfd from being detached, hence freed, while we queue */
	spin_lock_irqsave(&virqfd_lock, flags);
	if (*pvirqfd && (*pvirqfd)->thread)
		queue_work(virqfd_wq, &(*pvirqfd)->flush_inject);
	spin_unlock_irqrestore(&virqfd_lock, flags);

	flush_workqueue(virqfd_wq);
}
EXPORT_SYMBOL_GPL(vfio_virqfd_flush_thread);

static int __init vfio_virqfd_init(void)
{
	virqfd_wq = alloc_ordered_workqueue("vfio-irqfd-cleanup", WQ_MEM_RECLAIM);
	if (!virqfd_wq)
		return -ENOMEM;
	return 0;
}

static void __exit vfio_virqfd_exit(void)
{
	destroy_workqueue(virqfd_wq);
}

module_init(vfio_virqfd_init);
module_exit(vfio_virqfd_exit);

MODULE_LICENSE("GPL v2");
MODULE_DESCRIPTION("VFIO eventfd callbacks for bus drivers (vfio-stack)");
