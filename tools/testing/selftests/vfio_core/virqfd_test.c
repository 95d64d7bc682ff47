// SPDX-License-Identifier: GPL-2.0-only
/*
 * vfio_virqfd through Debian's vfio-pci on QEMU's edu device: the INTx unmask eventfd
 * (VFIO_DEVICE_SET_IRQS, ACTION_UNMASK) and ioeventfds (VFIO_DEVICE_IOEVENTFD) are both
 * virqfds. Covers enable and disable, -EBUSY for a second one in a slot, bad fds, the
 * teardown when userspace closes the eventfd (EPOLLHUP), the handler (atomic context),
 * the thread callback (re-sent INTx while the line is still asserted) and
 * vfio_virqfd_flush_thread() (vfio-pci calls it when the INTx trigger is replaced).
 * Every errno here is the stock stack's too: run.sh runs it on both.
 */
#include <poll.h>
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "vfio_core_util.h"

/* QEMU hw/misc/edu.c registers in BAR0 */
#define EDU_REG_LIVENESS	0x04	/* reads back the inverse of what was written */
#define EDU_REG_IRQ_RAISE	0x60	/* ORs the value into the status, raises the IRQ */
#define EDU_REG_IRQ_ACK		0x64	/* clears those status bits, lowers the IRQ at 0 */

#define INTX_UNMASK_EVENTFD	(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK)
#define SET_IRQS_ONE_FD		(sizeof(struct vfio_irq_set) + sizeof(int32_t))

static int __intx_trigger(int device, int32_t efd)
{
	return __set_irqs(device, SET_IRQS_ONE_FD, EVENTFD_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX,
			  0, 1, &efd);
}

static int __intx_unmask(int device, int32_t efd)
{
	return __set_irqs(device, SET_IRQS_ONE_FD, INTX_UNMASK_EVENTFD,
			  VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd);
}

#define intx_trigger(d, efd)		ASSERT_EQ(0, __intx_trigger(d, efd))
#define intx_unmask(d, efd)		ASSERT_EQ(0, __intx_unmask(d, efd))
#define intx_unmask_err(e, d, efd)	ASSERT_EQ(-(e), __intx_unmask(d, efd))

static int __ioeventfd(int device, uint64_t offset, uint64_t data, int32_t efd)
{
	struct vfio_device_ioeventfd ioe = {
		.argsz = sizeof(ioe),
		.flags = VFIO_DEVICE_IOEVENTFD_32,
		.offset = offset,
		.data = data,
		.fd = efd,
	};

	return vc_ioctl(device, VFIO_DEVICE_IOEVENTFD, &ioe);
}

#define ioeventfd(d, off, data, efd)		ASSERT_EQ(0, __ioeventfd(d, off, data, efd))
#define ioeventfd_err(e, d, off, data, efd)	ASSERT_EQ(-(e), __ioeventfd(d, off, data, efd))

static int edu_write(int device, uint64_t bar0, uint64_t reg, uint32_t val)
{
	return pwrite(device, &val, sizeof(val), bar0 + reg) == sizeof(val) ? 0 : -errno;
}

static int edu_read(int device, uint64_t bar0, uint64_t reg, uint32_t *val)
{
	return pread(device, val, sizeof(*val), bar0 + reg) == sizeof(*val) ? 0 : -errno;
}

static int efd_signal(int efd)
{
	uint64_t one = 1;

	return write(efd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

/* Wait up to @ms for @efd to be signalled and consume it. Return: true if it was. */
static bool efd_wait(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t count;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return read(efd, &count, sizeof(count)) == sizeof(count);
}

static int new_eventfd(void)
{
	return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

FIXTURE(virqfd) {
	struct vc_dev dev;
	struct vc_fds fds;
	uint64_t bar0;
	int trigger;
	int efd[2];
};

FIXTURE_SETUP(virqfd)
{
	struct vfio_region_info bar;

	self->fds.container = self->fds.group = self->fds.device = -1;
	self->trigger = self->efd[0] = self->efd[1] = -1;
	if (vc_edu_vfio(&self->dev))
		SKIP(return, "no edu device bound to vfio-pci");
	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, __region_info(self->fds.device, VFIO_PCI_BAR0_REGION_INDEX, &bar));
	self->bar0 = bar.offset;

	self->trigger = new_eventfd();
	self->efd[0] = new_eventfd();
	self->efd[1] = new_eventfd();
	ASSERT_LE(0, self->trigger);
	ASSERT_LE(0, self->efd[0]);
	ASSERT_LE(0, self->efd[1]);
}

FIXTURE_TEARDOWN(virqfd)
{
	/* Closing the device fd disables INTx and frees every ioeventfd left */
	vc_close(&self->fds);
	vc_close_fd(&self->trigger);
	vc_close_fd(&self->efd[0]);
	vc_close_fd(&self->efd[1]);
}

/*
 * INTx to @trigger with @unmask as its unmask eventfd, then edu raises the line: @trigger
 * fires and vfio-pci masks INTx, the line still asserted until edu's IRQ_ACK.
 */
static void intx_fire_masked(struct __test_metadata *_metadata, int dev, uint64_t bar0,
			     int trigger, int unmask)
{
	intx_trigger(dev, trigger);
	intx_unmask(dev, unmask);
	ASSERT_EQ(0, edu_write(dev, bar0, EDU_REG_IRQ_RAISE, 1));
	ASSERT_TRUE(efd_wait(trigger, 5000));
}

/* vfio-pci refuses an unmask eventfd until INTx is enabled: no virqfd is made */
TEST_F(virqfd, unmask_needs_intx)
{
	intx_unmask_err(EINVAL, self->fds.device, self->efd[0]);
}

TEST_F(virqfd, unmask_enable_disable)
{
	intx_trigger(self->fds.device, self->trigger);
	intx_unmask(self->fds.device, self->efd[0]);
	/* One virqfd per slot, whatever the eventfd */
	intx_unmask_err(EBUSY, self->fds.device, self->efd[1]);
	intx_unmask_err(EBUSY, self->fds.device, self->efd[0]);
	intx_unmask(self->fds.device, -1);
	intx_unmask(self->fds.device, self->efd[1]);
	intx_unmask(self->fds.device, -1);
	/* Disabling an empty slot is fine */
	intx_unmask(self->fds.device, -1);
}

TEST_F(virqfd, unmask_bad_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int closed = new_eventfd();

	ASSERT_LE(0, null);
	ASSERT_LE(0, closed);
	close(closed);
	intx_trigger(self->fds.device, self->trigger);
	intx_unmask_err(EBADF, self->fds.device, closed);
	intx_unmask_err(EINVAL, self->fds.device, null);
	close(null);
	/* A failed enable leaves the slot empty */
	intx_unmask(self->fds.device, self->efd[0]);
}

/* Closing the eventfd tears the virqfd down and frees its slot */
TEST_F(virqfd, unmask_hup)
{
	intx_trigger(self->fds.device, self->trigger);
	intx_unmask(self->fds.device, self->efd[0]);
	vc_close_fd(&self->efd[0]);
	intx_unmask(self->fds.device, self->efd[1]);
	vc_close_fd(&self->efd[1]);
	/* The slot is empty again: disabling it waits for nothing */
	intx_unmask(self->fds.device, -1);
}

/*
 * vfio-pci masks INTx when it fires. The unmask handler runs in the eventfd's wake-up; while
 * edu still asserts the line it asks for the thread callback, which re-sends the trigger.
 */
TEST_F(virqfd, unmask_resends_while_asserted)
{
	int dev = self->fds.device;

	intx_fire_masked(_metadata, dev, self->bar0, self->trigger, self->efd[0]);
	ASSERT_EQ(0, efd_signal(self->efd[0]));
	ASSERT_TRUE(efd_wait(self->trigger, 5000));

	ASSERT_EQ(0, edu_write(dev, self->bar0, EDU_REG_IRQ_ACK, 1));
	ASSERT_EQ(0, efd_signal(self->efd[0]));
	ASSERT_FALSE(efd_wait(self->trigger, 300));

	/* Unmasked again: the next interrupt arrives */
	ASSERT_EQ(0, edu_write(dev, self->bar0, EDU_REG_IRQ_RAISE, 1));
	ASSERT_TRUE(efd_wait(self->trigger, 5000));
	ASSERT_EQ(0, edu_write(dev, self->bar0, EDU_REG_IRQ_ACK, 1));
	ASSERT_EQ(0, efd_signal(self->efd[0]));
}

/* Replacing the trigger flushes the unmask thread (vfio_virqfd_flush_thread()) */
TEST_F(virqfd, trigger_swap_flushes_thread)
{
	int dev = self->fds.device;

	intx_fire_masked(_metadata, dev, self->bar0, self->trigger, self->efd[0]);
	/* Queue a re-send, then swap the trigger while it may be in flight */
	ASSERT_EQ(0, efd_signal(self->efd[0]));
	intx_trigger(dev, self->efd[1]);
	efd_wait(self->trigger, 0);
	efd_wait(self->efd[1], 0);

	ASSERT_EQ(0, efd_signal(self->efd[0]));
	ASSERT_TRUE(efd_wait(self->efd[1], 5000));
	ASSERT_FALSE(efd_wait(self->trigger, 0));
	ASSERT_EQ(0, edu_write(dev, self->bar0, EDU_REG_IRQ_ACK, 1));
	ASSERT_EQ(0, efd_signal(self->efd[0]));
}

/* An ioeventfd's handler writes edu's liveness register when the eventfd is signalled */
TEST_F(virqfd, ioeventfd_writes)
{
	uint64_t reg = self->bar0 + EDU_REG_LIVENESS;
	int dev = self->fds.device, i;
	uint32_t val = 0;

	ioeventfd(dev, reg, 0x12345678, self->efd[0]);
	ioeventfd_err(EEXIST, dev, reg, 0x12345678, self->efd[1]);
	ASSERT_EQ(0, efd_signal(self->efd[0]));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, edu_read(dev, self->bar0, EDU_REG_LIVENESS, &val));
		if (val == ~0x12345678U)
			break;
		usleep(10000);
	}
	ASSERT_EQ(~0x12345678U, val);
	ioeventfd(dev, reg, 0x12345678, -1);
	ioeventfd_err(ENODEV, dev, reg, 0x12345678, -1);
}

/* The eventfd closed first: de-assigning then disables an already empty slot */
TEST_F(virqfd, ioeventfd_hup_then_deassign)
{
	uint64_t reg = self->bar0 + EDU_REG_LIVENESS;
	int dev = self->fds.device;

	ioeventfd(dev, reg, 1, self->efd[0]);
	ioeventfd(dev, reg, 2, self->efd[1]);
	vc_close_fd(&self->efd[0]);
	ioeventfd(dev, reg, 1, -1);
	/* The other one stays for the device fd's release to free */
}

TEST_HARNESS_MAIN
