// Shutdown flag tested under the device mutex by some entry points.
struct demo_usb {
	struct mutex mutex;
	int shutdown;
	int volume;
	int mode;
};

static int demo_send(struct demo_usb *chip, int v);

static int demo_vol_put(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_usb *chip = snd_kcontrol_chip(kc);
	int err;

	mutex_lock(&chip->mutex);
	if (chip->shutdown) { /* rel: check */
		err = -ENODEV;
		goto unlock;
	}
	chip->volume = uc->value.integer.value[0];
	err = demo_send(chip, chip->volume);
unlock:
	mutex_unlock(&chip->mutex);
	return err;
}

/* BAD: same lock, no shutdown test */
static int demo_mode_put(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_usb *c = snd_kcontrol_chip(kc);
	int err;

	mutex_lock(&c->mutex); /* expect: KR403 rel=check */
	c->mode = uc->value.integer.value[0];
	err = demo_send(c, c->mode);
	if (err < 0)
		goto out;
	err = 1;
out:
	mutex_unlock(&c->mutex);
	return err;
}

static int demo_check(struct demo_usb *chip)
{
	return chip->shutdown ? -ENODEV : 0;
}

/* GOOD: tests the flag through a helper */
static int demo_mode_get(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_usb *chip = snd_kcontrol_chip(kc);
	int err;

	mutex_lock(&chip->mutex);
	err = demo_check(chip);
	if (!err)
		uc->value.integer.value[0] = chip->mode;
	mutex_unlock(&chip->mutex);
	return err;
}

/* GOOD: not an entry point (plain static helper) */
static void demo_internal(struct demo_usb *chip)
{
	mutex_lock(&chip->mutex);
	demo_send(chip, 0);
	mutex_unlock(&chip->mutex);
}

static void demo_disconnect(struct demo_usb *chip)
{
	mutex_lock(&chip->mutex);
	chip->shutdown = 1;
	mutex_unlock(&chip->mutex);
}

static const struct snd_kcontrol_new demo_controls[] = {
	{ .get = demo_mode_get, .put = demo_mode_put },
	{ .put = demo_vol_put },
};
