// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: error paths that release inline, no ladder (written for kernlint). */
#include <linux/slab.h>

struct clack {
	u8 *lut;
};

static int clack_build(struct clack *c, int n)
{
	u8 *lut;
	int i;

	lut = kmalloc(n, GFP_KERNEL);
	if (!lut)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (clack_bad(i)) {
			kfree(lut);
			return -EINVAL;
		}
		lut[i] = i;
	}
	if (clack_check(lut, n) < 0) {
		kfree(lut);
		return -EIO;
	}
	c->lut = lut;
	return 0;
}
