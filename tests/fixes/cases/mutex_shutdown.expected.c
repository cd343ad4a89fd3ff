// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: a mutex and a shutdown flag (written for kernlint). */
#include <linux/mutex.h>

struct purr_chip {
	struct mutex lock;
	bool shutdown;
	int volume;
	int mute;
};

static int purr_set_volume(struct purr_chip *chip, int vol)
{
	int err = 0;

	mutex_lock(&chip->lock);
	if (chip->shutdown) {
		err = -ENODEV;
		goto unlock;
	}
	if (vol < 0) {
		err = -EINVAL;
		goto unlock;
	}
	chip->volume = vol;
unlock:
	mutex_unlock(&chip->lock);
	return err;
}

static int purr_set_mute(struct purr_chip *chip, int mute)
{
	mutex_lock(&chip->lock);
	if (mute > 1) {
		mutex_unlock(&chip->lock);
		return -EINVAL;
	}
	chip->mute = mute;
	mutex_unlock(&chip->lock);
	return 0;
}
