// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: a driver that already uses __free(); one function still frees by hand. */
#include <linux/slab.h>
#include <linux/cleanup.h>

struct zed_dev {
	u8 *table;
	int len;
};

static int zed_probe_table(struct zed_dev *zd)
{
	u8 *tmp __free(kfree) = kzalloc(16, GFP_KERNEL);

	if (!tmp)
		return -ENOMEM;
	return zed_read(zd, tmp, 16);
}

static int zed_load(struct zed_dev *zd, int len)
{
	u8 *buf __free(kfree) = NULL;
	int err;

	buf = kzalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = zed_read(zd, buf, len);
	if (err < 0) {
		return err;
	}
	if (zed_check(buf, len))
		return -EINVAL;
	zd->table = no_free_ptr(buf);
	zd->len = len;
	return 0;
}
