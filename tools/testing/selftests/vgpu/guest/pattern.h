/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test pattern the guest draws and the host checks, pixel for pixel: a different colour
 * for (almost) every pixel, so that a shifted, scaled, flipped or torn image cannot match.
 */
#ifndef VGPU_PATTERN_H
#define VGPU_PATTERN_H

#include <stdint.h>

/* XRGB8888 of pixel (x, y) in a w x h image */
static inline uint32_t vgpu_pattern(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	uint32_t r = x * 255 / (w - 1);
	uint32_t g = y * 255 / (h - 1);
	uint32_t b = (x ^ y) & 0xff;

	if (x < 16 && y < 16)	/* a white marker in the top-left corner */
		return 0xffffff;
	return r << 16 | g << 8 | b;
}

#endif /* VGPU_PATTERN_H */
