// SPDX-License-Identifier: GPL-2.0
/* eval case: a mutex is left held on an early error return */
#include <linux/mutex.h>
#include <linux/errno.h>

struct lock_chip {
	struct mutex lock;
	int shutdown;
	int value;
};

int lock_set_value(struct lock_chip *chip, int value)
{
	mutex_lock(&chip->lock);
	if (chip->shutdown)
		return -ENODEV;
	chip->value = value;
	mutex_unlock(&chip->lock);
	return 0;
}
