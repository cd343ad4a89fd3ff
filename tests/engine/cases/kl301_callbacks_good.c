/* Success returns that keep a reference, and say so by what they return. */

struct cg_dev {
	struct device *dev;
	int state;
	struct clk *bclk;
};

/* get() hands the usage count to its caller on success; the failure branch drops it. */
static int cg_runtime_get(struct cg_dev *d)
{
	int ret;

	ret = pm_runtime_get_sync(d->dev);
	if (ret < 0 && ret != -EACCES) {
		pm_runtime_put_noidle(d->dev);
		return ret;
	}
	return 0;
}

/* Both success returns give back a variable, not the same constant: the caller tells them
 * apart (ret says whether the device stayed in use). */
static int cg_poll(struct cg_dev *d)
{
	int ret;

	pm_runtime_get_sync(d->dev);
	ret = d->state;
	if (ret > 0)
		return ret;
	pm_runtime_put(d->dev);
	return ret;
}

/* Adapters tried in turn: each failed one is put, the one that worked is kept. */
static int cg_attach(struct cg_dev *d, int (*try_one)(struct i2c_adapter *a))
{
	struct i2c_adapter *adap;
	int i = 0;

	adap = i2c_get_adapter(0);
	if (!adap)
		return -EPROBE_DEFER;
	if (d->state)
		return 0;
	while (adap) {
		if (!try_one(adap))
			return 0;
		i2c_put_adapter(adap);
		adap = i2c_get_adapter(++i);
	}
	return -ENODEV;
}

/* The failure that forgot its error code (ret still 0 at the label) is not a second
 * success: the real success keeps runtime PM enabled on purpose. */
static int cg_probe(struct cg_dev *d)
{
	int ret = 0;

	pm_runtime_enable(d->dev);
	if (!pm_runtime_enabled(d->dev))
		goto err_disable;
	ret = cg_register(d);
	if (ret)
		goto err_disable;
	return 0;

err_disable:
	pm_runtime_disable(d->dev);
	return ret;
}

/* A DAPM event turns the bit clock on at power-up and off at power-down: the clock stays
 * on between the two events on purpose. */
static int cg_dai_event(struct snd_soc_dapm_widget *w, struct snd_kcontrol *kcontrol, int event)
{
	struct cg_dev *d = cg_from_widget(w);
	int ret;

	switch (event) {
	case SND_SOC_DAPM_PRE_PMU:
		ret = clk_prepare_enable(d->bclk);
		if (ret)
			return ret;
		return 0;
	case SND_SOC_DAPM_POST_PMD:
		clk_disable_unprepare(d->bclk);
		return 0;
	}
	return 0;
}

/* A control's put() that powers the codec up while a loopback is switched on and down when
 * it is switched off: the reference is held across calls on purpose. */
static int cg_loopback_put(struct snd_kcontrol *kcontrol, struct snd_ctl_elem_value *ucontrol)
{
	struct cg_codec *codec = snd_kcontrol_chip(kcontrol);

	if (ucontrol->value.integer.value[0])
		snd_hda_power_up(codec);
	else
		snd_hda_power_down(codec);
	return 1;
}
