// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: a driver that already uses guard(); one function unlocks by hand. */
#include <linux/mutex.h>
#include <linux/cleanup.h>

struct zed_chip {
	struct mutex lock;
	bool gone;
	int rate;
};

static int zed_get_rate(struct zed_chip *chip)
{
	guard(mutex)(&chip->lock);
	return chip->rate;
}

static int zed_set_rate(struct zed_chip *chip, int rate)
{
	mutex_lock(&chip->lock);
	if (chip->gone)
		return -ENODEV;
	chip->rate = rate;
	mutex_unlock(&chip->lock);
	return 0;
}
