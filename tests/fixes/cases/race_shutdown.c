// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: USB-style disconnect flag tested under the lock (written for kernlint). */
#include <linux/mutex.h>
#include <sound/control.h>

struct rattle {
	struct mutex mutex;
	bool shutdown;
	int gain;
	int mode;
};

static int rattle_gain_put(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct rattle *r = snd_kcontrol_chip(kc);
	int err = 0;

	mutex_lock(&r->mutex);
	if (r->shutdown) {
		err = -ENODEV;
		goto unlock;
	}
	r->gain = uc->value.integer.value[0];
unlock:
	mutex_unlock(&r->mutex);
	return err;
}

static int rattle_mode_put(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct rattle *r = snd_kcontrol_chip(kc);
	int err = 0;

	mutex_lock(&r->mutex);
	r->mode = uc->value.integer.value[0];
	rattle_send(r);
	goto unlock;
unlock:
	mutex_unlock(&r->mutex);
	return err;
}

static int rattle_mode_get(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct rattle *r = snd_kcontrol_chip(kc);

	mutex_lock(&r->mutex);
	uc->value.integer.value[0] = r->mode;
	mutex_unlock(&r->mutex);
	return 0;
}

static const struct snd_kcontrol_new rattle_ctls[] = {
	{ .put = rattle_gain_put },
	{ .put = rattle_mode_put, .get = rattle_mode_get },
};

static void rattle_disconnect(struct rattle *r)
{
	mutex_lock(&r->mutex);
	r->shutdown = true;
	mutex_unlock(&r->mutex);
}
