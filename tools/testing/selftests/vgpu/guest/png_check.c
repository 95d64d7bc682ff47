// SPDX-License-Identifier: GPL-2.0-only
/*
 * png_check: does a PNG hold exactly the test pattern (pattern.h) at a given size?
 * Prints the first mismatch. usage: png_check FILE.png W H; exit 0 when every pixel matches.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

#include "pattern.h"

int main(int argc, char **argv)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	unsigned int w, h, x, y, bad = 0;
	uint32_t want;
	uint8_t *px, *p;

	if (argc != 4)
		return fprintf(stderr, "usage: png_check FILE.png W H\n"), 2;
	w = strtoul(argv[2], NULL, 0);
	h = strtoul(argv[3], NULL, 0);
	if (!png_image_begin_read_from_file(&img, argv[1]))
		return fprintf(stderr, "png_check: %s: %s\n", argv[1], img.message), 1;
	img.format = PNG_FORMAT_RGB;
	px = malloc(PNG_IMAGE_SIZE(img));
	if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL))
		return fprintf(stderr, "png_check: cannot read %s\n", argv[1]), 1;
	if (img.width != w || img.height != h) {
		printf("size %ux%u, want %ux%u\n", img.width, img.height, w, h);
		return 1;
	}
	for (y = 0; y < h; y++) {
		for (x = 0; x < w; x++) {
			p = px + (y * w + x) * 3;
			want = vgpu_pattern(x, y, w, h);
			if (p[0] == (want >> 16 & 0xff) && p[1] == (want >> 8 & 0xff) &&
			    p[2] == (want & 0xff))
				continue;
			if (!bad++)
				printf("first mismatch at (%u,%u): %02x%02x%02x, want %06x\n",
				       x, y, p[0], p[1], p[2], want);
		}
	}
	printf("%u of %u pixels differ\n", bad, w * h);
	free(px);
	return bad ? 1 : 0;
}
