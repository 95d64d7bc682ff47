// SPDX-License-Identifier: GPL-2.0-only
/*
 * vgpu_draw: runs in the (nested) guest. Finds the DRM device driven by bochs-drm, sets a
 * mode on its first connected connector with a dumb buffer holding the test pattern
 * (pattern.h), prints "DRAWN <w>x<h>" and keeps the mode set until a signal. The caller
 * then makes QEMU exit without a guest shutdown (nested.sh writes isa-debug-exit's port
 * through /dev/port), so the scanout stays programmed for the host to capture.
 *
 * usage: vgpu_draw [-m WxH]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "pattern.h"

static void die(const char *what)
{
	fprintf(stderr, "vgpu_draw: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_bochs(void)
{
	char path[32];
	drmVersionPtr ver;
	int i, fd;

	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		ver = drmGetVersion(fd);
		if (ver && !strcmp(ver->name, "bochs-drm")) {
			drmFreeVersion(ver);
			return fd;
		}
		if (ver)
			drmFreeVersion(ver);
		close(fd);
	}
	errno = ENODEV;
	die("no bochs-drm device");
	return -1;
}

static drmModeModeInfoPtr pick_mode(drmModeConnectorPtr conn, unsigned int w, unsigned int h)
{
	int i;

	for (i = 0; i < conn->count_modes; i++) {
		if (w && conn->modes[i].hdisplay == w && conn->modes[i].vdisplay == h)
			return &conn->modes[i];
		if (!w && (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED))
			return &conn->modes[i];
	}
	return conn->count_modes && !w ? &conn->modes[0] : NULL;
}

static uint32_t pick_crtc(int fd, drmModeResPtr res, drmModeConnectorPtr conn)
{
	drmModeEncoderPtr enc;
	uint32_t crtc = 0;
	int i;

	enc = drmModeGetEncoder(fd, conn->encoder_id ? conn->encoder_id : conn->encoders[0]);
	if (!enc)
		die("drmModeGetEncoder");
	crtc = enc->crtc_id;
	for (i = 0; !crtc && i < res->count_crtcs; i++)
		if (enc->possible_crtcs & (1u << i))
			crtc = res->crtcs[i];
	drmModeFreeEncoder(enc);
	return crtc;
}

static void draw(uint32_t *fb, uint32_t pitch, uint32_t w, uint32_t h)
{
	uint32_t x, y;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			fb[y * (pitch / 4) + x] = vgpu_pattern(x, y, w, h);
}

int main(int argc, char **argv)
{
	struct drm_mode_create_dumb create = { .bpp = 32 };
	struct drm_mode_map_dumb map = { 0 };
	unsigned int w = 0, h = 0;
	drmModeConnectorPtr conn = NULL;
	drmModeModeInfoPtr mode;
	uint32_t fb_id, crtc, *fb;
	drmModeResPtr res;
	int fd, i, opt;

	while ((opt = getopt(argc, argv, "m:")) != -1) {
		if (opt == 'm' && sscanf(optarg, "%ux%u", &w, &h) == 2)
			continue;
		fprintf(stderr, "usage: vgpu_draw [-m WxH]\n");
		return 1;
	}
	fd = open_bochs();
	res = drmModeGetResources(fd);
	if (!res)
		die("drmModeGetResources");
	for (i = 0; i < res->count_connectors && !conn; i++) {
		conn = drmModeGetConnector(fd, res->connectors[i]);
		if (conn && conn->connection != DRM_MODE_CONNECTED) {
			drmModeFreeConnector(conn);
			conn = NULL;
		}
	}
	if (!conn)
		die("no connected connector");
	mode = pick_mode(conn, w, h);
	if (!mode)
		die("no such mode");
	crtc = pick_crtc(fd, res, conn);
	create.width = mode->hdisplay;
	create.height = mode->vdisplay;
	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create))
		die("DRM_IOCTL_MODE_CREATE_DUMB");
	if (drmModeAddFB(fd, create.width, create.height, 24, 32, create.pitch, create.handle,
			 &fb_id))
		die("drmModeAddFB");
	map.handle = create.handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map))
		die("DRM_IOCTL_MODE_MAP_DUMB");
	fb = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, map.offset);
	if (fb == MAP_FAILED)
		die("mmap dumb buffer");
	draw(fb, create.pitch, create.width, create.height);
	if (drmModeSetCrtc(fd, crtc, fb_id, 0, 0, &conn->connector_id, 1, mode))
		die("drmModeSetCrtc");
	printf("DRAWN %ux%u\n", create.width, create.height);
	fflush(stdout);
	pause();
	return 0;
}
