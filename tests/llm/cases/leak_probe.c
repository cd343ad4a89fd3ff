// SPDX-License-Identifier: GPL-2.0
/* eval case: a buffer allocated in probe leaks when the second step fails */
#include <linux/slab.h>
#include <linux/errno.h>

struct leak_chip {
	void *buf;
	int irq;
};

int leak_chip_setup(struct leak_chip *chip);

int leak_probe(struct leak_chip *chip)
{
	void *buf;
	int err;

	buf = kzalloc(64, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = leak_chip_setup(chip);
	if (err < 0)
		return err;
	chip->buf = buf;
	return 0;
}
