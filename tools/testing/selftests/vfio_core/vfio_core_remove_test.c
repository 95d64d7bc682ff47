// SPDX-License-Identifier: GPL-2.0-only
/*
 * Removal of a device that userspace holds: unbinding edu from vfio-pci (from a child
 * process, the write blocks) asks the user through the request eventfd and waits until
 * the device fd is closed. A user that ignores the request keeps the unbind blocked: once
 * the waiting task gets a signal the kernel log says the device is in use, and the request
 * is repeated then and every 10 s after. Each test rebinds edu to vfio-pci afterwards.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "vfio_core_util.h"

#define UNBIND		"/sys/bus/pci/drivers/vfio-pci/unbind"

FIXTURE(remove) {
	struct vc_dev dev;
	struct vc_fds fds;
	int efd;
	int kmsg;
	pid_t child;
};

static void on_signal(int sig)
{
}

/*
 * Unbind edu in a child: its exit status is 0 once the write returned success. The child
 * must not keep copies of the test's VFIO fds, or it would wait for itself.
 */
static pid_t unbind_start(const char *name)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	close_range(3, ~0U, 0);
	signal(SIGUSR1, on_signal);
	_exit(sysfs_attr_write(UNBIND, name) ? 1 : 0);
}

/* Wait up to @ms for @pid. Return: its exit status, or -ETIMEDOUT. */
static int child_wait(pid_t pid, int ms)
{
	int status;

	for (; ms > 0; ms -= 50) {
		pid_t ret = waitpid(pid, &status, WNOHANG);

		if (ret == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(50000);
	}
	return -ETIMEDOUT;
}

static bool efd_wait(int efd, int ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t n;

	if (poll(&p, 1, ms) != 1)
		return false;
	return read(efd, &n, sizeof(n)) == sizeof(n) && n > 0;
}

/* Whether the kernel logged a line containing @what since kmsg was opened */
static bool kmsg_saw(int kmsg, const char *what, int ms)
{
	char rec[1024];

	for (; ms > 0; ms -= 100) {
		ssize_t n;

		while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
			if (n <= 0)
				continue;
			rec[n] = 0;
			if (strstr(rec, what))
				return true;
		}
		usleep(100000);
	}
	return false;
}

static void edu_rebind(const struct vc_dev *dev)
{
	char drv[64];

	vc_dev_driver(dev->path, drv, sizeof(drv));
	if (!drv[0])
		sysfs_attr_write("/sys/bus/pci/drivers_probe", dev->name);
}

FIXTURE_SETUP(remove)
{
	self->fds.container = self->fds.group = self->fds.device = -1;
	self->efd = self->kmsg = -1;
	self->child = 0;
	if (vc_edu_vfio(&self->dev))
		SKIP(return, "no edu device bound to vfio-pci");
	self->kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, self->kmsg);
	ASSERT_LE(0, lseek(self->kmsg, 0, SEEK_END));
	self->efd = eventfd(0, EFD_NONBLOCK);
	ASSERT_LE(0, self->efd);
}

FIXTURE_TEARDOWN(remove)
{
	vc_close(&self->fds);
	if (self->child > 0 && child_wait(self->child, 20000) == -ETIMEDOUT)
		kill(self->child, SIGKILL);
	vc_close_fd(&self->efd);
	vc_close_fd(&self->kmsg);
	edu_rebind(&self->dev);
}

static void check_unbound_and_rebind(struct __test_metadata *_metadata,
				     const struct vc_dev *dev)
{
	char drv[64];

	vc_dev_driver(dev->path, drv, sizeof(drv));
	ASSERT_STREQ("", drv);
	edu_rebind(dev);
	vc_dev_driver(dev->path, drv, sizeof(drv));
	ASSERT_STREQ("vfio-pci", drv);
}

TEST_F(remove, unbind_unused)
{
	self->child = unbind_start(self->dev.name);
	ASSERT_LT(0, self->child);
	ASSERT_EQ(0, child_wait(self->child, 10000));
	self->child = 0;
	check_unbound_and_rebind(_metadata, &self->dev);
	/* the group comes back with the device */
	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, VFIO_TYPE1v2_IOMMU));
}

TEST_F(remove, unbind_user_cooperates)
{
	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, vc_set_req_eventfd(self->fds.device, self->efd));
	self->child = unbind_start(self->dev.name);
	ASSERT_LT(0, self->child);
	ASSERT_TRUE(efd_wait(self->efd, 10000));
	/* the unbind waits for the user */
	ASSERT_EQ(-ETIMEDOUT, child_wait(self->child, 500));
	vc_close(&self->fds);
	ASSERT_EQ(0, child_wait(self->child, 10000));
	self->child = 0;
	check_unbound_and_rebind(_metadata, &self->dev);
}

TEST_F_TIMEOUT(remove, unbind_user_ignores, 60)
{
	uint32_t id = 0;
	time_t start;

	ASSERT_EQ(0, vc_open(&self->fds, &self->dev, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, vc_set_req_eventfd(self->fds.device, self->efd));
	self->child = unbind_start(self->dev.name);
	ASSERT_LT(0, self->child);
	ASSERT_TRUE(efd_wait(self->efd, 10000));
	ASSERT_EQ(-ETIMEDOUT, child_wait(self->child, 1000));
	/* a signal to the blocked task: it keeps waiting, and the kernel says why */
	ASSERT_EQ(0, kill(self->child, SIGUSR1));
	ASSERT_TRUE(kmsg_saw(self->kmsg, "in use", 5000));
	/* the request is repeated at once, then every 10 s while the device stays held */
	ASSERT_TRUE(efd_wait(self->efd, 5000));
	start = time(NULL);
	ASSERT_TRUE(efd_wait(self->efd, 20000));
	ASSERT_LE(5, time(NULL) - start);
	ASSERT_EQ(-ETIMEDOUT, child_wait(self->child, 100));
	/* still the user's device until it lets go */
	ASSERT_EQ(0, vc_edu_read_id(self->fds.device, &id));
	ASSERT_EQ(EDU_ID, id);
	vc_close(&self->fds);
	ASSERT_EQ(0, child_wait(self->child, 10000));
	self->child = 0;
	check_unbound_and_rebind(_metadata, &self->dev);
}

TEST_HARNESS_MAIN
