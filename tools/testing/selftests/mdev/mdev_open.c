// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdev_open UUID [SECONDS]: open an mdev through VFIO in a container of its own, hold it
 * for SECONDS (or until stdin closes when SECONDS is "-"), close it. Prints "open" once
 * the device fd is held. Exit status: 0, or the errno of the failed step.
 */
#include "vfio_helpers.h"

int main(int argc, char **argv)
{
	struct vfio_mdev m;
	int container = -1, err;
	char c;

	if (argc < 2) {
		fprintf(stderr, "usage: %s UUID [SECONDS|-]\n", argv[0]);
		return 2;
	}
	err = vfio_container_open(&container);
	if (err) {
		fprintf(stderr, "mdev_open: container: %s\n", strerror(err));
		return err;
	}
	err = __vfio_mdev_open(container, argv[1], 1, &m);
	if (err) {
		fprintf(stderr, "mdev_open: %s: %s\n", argv[1], strerror(err));
		close(container);
		return err;
	}
	printf("open\n");
	fflush(stdout);
	if (argc > 2 && !strcmp(argv[2], "-"))
		while (read(0, &c, 1) > 0)
			;
	else if (argc > 2)
		sleep(atoi(argv[2]));
	vfio_mdev_close(&m);
	close(container);
	return 0;
}
