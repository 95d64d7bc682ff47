// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu-screenshot: capture the current primary plane of a mediated device into a PNG.
 *
 * Opens the mdev as a VFIO user (container, group, device), asks for the plane with
 * VFIO_DEVICE_QUERY_GFX_PLANE and reads the pixels either from the dma-buf that
 * VFIO_DEVICE_GET_GFX_DMABUF exports (default) or from the region the region plane names
 * (-r). Only 32-bit XRGB8888 planes are supported. The group must not be in use by another
 * VFIO user (e.g. a running QEMU): a VFIO group has one user at a time.
 *
 * usage: vgpu-screenshot [-r] [-v] UUID OUT.png
 * exit: 0 written, 1 error, 2 the display is off (no plane)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include <linux/vfio.h>

#define DRM_FORMAT_XRGB8888	0x34325258	/* fourcc 'XR24' */
#define DRM_PLANE_TYPE_PRIMARY	1
#define REGION_OFFSET_SHIFT	40

struct vfio_user {
	int container;
	int group;
	int device;
};

static int verbose;

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "vgpu-screenshot: ");
	fprintf(stderr, fmt, arg);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fprintf(stderr, "\n");
	exit(1);
}

static int group_of(const char *uuid)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		die("no mdev %s", uuid);
	link[n] = 0;
	return atoi(strrchr(link, '/') + 1);
}

static void vfio_open(struct vfio_user *u, const char *uuid)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", group_of(uuid));
	u->container = open("/dev/vfio/vfio", O_RDWR);
	if (u->container < 0)
		die("open %s", "/dev/vfio/vfio");
	u->group = open(path, O_RDWR);
	if (u->group < 0)
		die("open %s (is the device in use?)", path);
	if (ioctl(u->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group %s is not viable", path);
	if (ioctl(u->group, VFIO_GROUP_SET_CONTAINER, &u->container))
		die("%s", "VFIO_GROUP_SET_CONTAINER");
	if (ioctl(u->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) &&
	    ioctl(u->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		die("%s", "VFIO_SET_IOMMU");
	u->device = ioctl(u->group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (u->device < 0)
		die("VFIO_GROUP_GET_DEVICE_FD %s", uuid);
}

static int query_plane(struct vfio_user *u, uint32_t type,
		       struct vfio_device_gfx_plane_info *plane)
{
	memset(plane, 0, sizeof(*plane));
	plane->argsz = sizeof(*plane);
	plane->flags = type;
	plane->drm_plane_type = DRM_PLANE_TYPE_PRIMARY;
	return ioctl(u->device, VFIO_DEVICE_QUERY_GFX_PLANE, plane);
}

/* The plane's bytes, from the dma-buf (mmap) or the region (pread) */
static uint8_t *read_plane(struct vfio_user *u, struct vfio_device_gfx_plane_info *plane,
			   int use_region)
{
	uint32_t id = plane->dmabuf_id;
	uint8_t *buf, *map;
	ssize_t n;
	int fd;

	buf = malloc(plane->size);
	if (!buf)
		die("%s", "malloc");
	if (use_region) {
		n = pread(u->device, buf, plane->size,
			  (off_t)((uint64_t)plane->region_index << REGION_OFFSET_SHIFT));
		if (n != (ssize_t)plane->size)
			die("%s", "read of the plane's region");
		return buf;
	}
	fd = ioctl(u->device, VFIO_DEVICE_GET_GFX_DMABUF, &id);
	if (fd < 0)
		die("%s", "VFIO_DEVICE_GET_GFX_DMABUF");
	map = mmap(NULL, plane->size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("%s", "mmap of the dma-buf");
	memcpy(buf, map, plane->size);
	munmap(map, plane->size);
	close(fd);
	return buf;
}

static void write_png(const char *path, const struct vfio_device_gfx_plane_info *plane,
		      const uint8_t *pixels)
{
	png_structp png;
	png_infop info;
	uint8_t *row;
	uint32_t x, y, px;
	FILE *f;

	f = fopen(path, "wb");
	if (!f)
		die("open %s", path);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	info = png ? png_create_info_struct(png) : NULL;
	row = malloc((size_t)plane->width * 3);
	if (!png || !info || !row)
		die("%s", "libpng setup");
	if (setjmp(png_jmpbuf(png)))
		die("writing %s", path);
	png_init_io(png, f);
	png_set_IHDR(png, info, plane->width, plane->height, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < plane->height; y++) {
		const uint8_t *line = pixels + (size_t)y * plane->stride;

		for (x = 0; x < plane->width; x++) {
			/* XRGB8888 is a little-endian 32-bit word: B, G, R, X in memory */
			memcpy(&px, line + x * 4, 4);
			row[x * 3 + 0] = px >> 16;
			row[x * 3 + 1] = px >> 8;
			row[x * 3 + 2] = px;
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	if (fclose(f))
		die("close %s", path);
}

static void usage_exit(const char *prog)
{
	fprintf(stderr, "usage: %s [-r] [-v] UUID OUT.png\n"
		"  -r  read the region plane instead of the dma-buf plane\n"
		"  -v  print the plane\n", prog);
	exit(1);
}

int main(int argc, char **argv)
{
	struct vfio_device_gfx_plane_info plane;
	int opt, use_region = 0;
	struct vfio_user u;
	uint8_t *pixels;
	uuid_t parsed;

	while ((opt = getopt(argc, argv, "rv")) != -1) {
		if (opt == 'r')
			use_region = 1;
		else if (opt == 'v')
			verbose = 1;
		else
			usage_exit(argv[0]);
	}
	if (argc - optind != 2 || uuid_parse(argv[optind], parsed))
		usage_exit(argv[0]);
	errno = 0;
	vfio_open(&u, argv[optind]);
	if (query_plane(&u, use_region ? VFIO_GFX_PLANE_TYPE_REGION : VFIO_GFX_PLANE_TYPE_DMABUF,
			&plane))
		die("%s", "VFIO_DEVICE_QUERY_GFX_PLANE");
	if (!plane.drm_format || !plane.size) {
		fprintf(stderr, "vgpu-screenshot: the display is off (no plane)\n");
		return 2;
	}
	if (plane.drm_format != DRM_FORMAT_XRGB8888) {
		errno = 0;
		die("%s", "unsupported plane format");
	}
	if ((uint64_t)plane.stride * (plane.height - 1) + plane.width * 4ull > plane.size) {
		errno = 0;
		die("%s", "inconsistent plane");
	}
	if (verbose)
		printf("plane: %ux%u stride %u size %u %s %u\n", plane.width, plane.height,
		       plane.stride, plane.size, use_region ? "region" : "dmabuf",
		       plane.dmabuf_id);
	pixels = read_plane(&u, &plane, use_region);
	write_png(argv[optind + 1], &plane, pixels);
	free(pixels);
	close(u.device);
	close(u.group);
	close(u.container);
	return 0;
}
