// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: references kept on error exits. */
#include <linux/of.h>
#include <linux/pm_runtime.h>

static int fx_find_port(struct device_node *np)
{
	struct device_node *child;

	for_each_child_of_node(np, child) {
		if (!of_device_is_available(child))
			return -ENODEV;
		fx_parse(child);
	}
	return 0;
}

static int fx_resume_io(struct device *dev)
{
	int ret;

	ret = pm_runtime_get_sync(dev);
	if (ret < 0)
		return ret;
	fx_io(dev);
	pm_runtime_put(dev);
	return 0;
}

static int fx_codec_node(struct device *dev)
{
	struct device_node *codec;
	int ret;

	codec = of_parse_phandle(dev->of_node, "fx,codec", 0);
	if (!codec)
		return -EINVAL;
	ret = fx_check_codec(codec);
	if (ret < 0)
		return ret;
	of_node_put(codec);
	return 0;
}

/* A probe's own object: a reference kept in it is still the probe's to drop on failure. */
static int fx_clk_probe(struct platform_device *pdev)
{
	struct fx_priv *priv;
	int ret;

	priv = devm_kzalloc(&pdev->dev, sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	priv->mclk = clk_get(&pdev->dev, "mclk");
	if (IS_ERR(priv->mclk))
		return PTR_ERR(priv->mclk);
	ret = fx_hw_check(pdev);
	if (ret)
		return ret;
	platform_set_drvdata(pdev, priv);
	return 0;
}

/* An initialised device holds its first reference until put_device(): the early return
 * drops the child on the floor, the later one puts it. */
struct fx_child { struct device dev; int id; };

static int fx_child_setup(struct fx_child *child, struct device *parent)
{
	device_initialize(&child->dev);
	child->dev.parent = parent;
	if (!child->id)
		return -EINVAL;
	if (dev_set_name(&child->dev, "fx-child%d", child->id)) {
		put_device(&child->dev);
		return -ENOMEM;
	}
	return 0;
}

/* device_register() failed: its reference must still be dropped with put_device(). */
static int rg_dev_register(struct rg_codec *codec)
{
	int err;

	codec->dev.release = rg_dev_release;
	dev_set_name(&codec->dev, "rg-%d", codec->num);
	err = device_register(&codec->dev);
	if (err < 0) {
		dev_err(codec->parent, "cannot register codec\n");
		codec->dev.bus = NULL;
		return err;
	}
	codec->registered = true;
	return 0;
}

/* `return err < 0 ? err : 0;` after `goto out` with err negative is a failure: the power
 * reference taken at the top is still held there. */
static int pw_route_set(struct hda_codec *codec, int route)
{
	int err;

	snd_hda_power_up_pm(codec);
	err = pw_write_param(codec, 0x10, route);
	if (err < 0)
		goto out;
	err = pw_write_param(codec, 0x11, route ? 1 : 0);
	if (err < 0)
		goto out;
	snd_hda_power_down_pm(codec);
out:
	return err < 0 ? err : 0;
}

/* The error code is copied from a field tested just before: still a failure exit. */
static int am_get_settings(struct am_card *card)
{
	struct am_priv *priv = am_card_get_drvdata(card);
	struct acpi_device *adev;
	int ret = 0;

	adev = acpi_dev_get_first_match_dev("AMXX0001", "1", -1);
	if (!adev)
		return -ENOENT;
	priv->irq_override = acpi_dev_gpio_irq_get(adev, 0);
	if (priv->irq_override < 0) {
		ret = priv->irq_override;
		dev_err(card->dev, "no codec IRQ: %d\n", ret);
		return ret;
	}
	priv->quirk_found = true;
	acpi_dev_put(adev);
	return ret;
}

/* A void function's failure return: the usage count it takes is dropped at the end of the
 * function on the normal path, but not when the mode write fails. */
static void hp_start_detect(struct hp_info *info)
{
	struct hp_chip *chip = info->chip;
	int ret;

	pm_runtime_get_sync(chip->dev);
	ret = regmap_update_bits(chip->regmap, HP_DETECT_MODE, HP_MODE_MASK, info->mode);
	if (ret != 0) {
		dev_err(chip->dev, "cannot set detect mode: %d\n", ret);
		return;
	}
	hp_arm_detect(info);
	pm_runtime_put_autosuspend(chip->dev);
}

/* dev_err_probe() returns the error it is given: the path is a failure. */
static int ep_probe(struct platform_device *pdev)
{
	struct ep_priv *priv = platform_get_drvdata(pdev);
	int ret;

	ret = regulator_enable(priv->vdd);
	if (ret < 0)
		return ret;
	priv->clk = devm_clk_get(&pdev->dev, "mclk");
	if (IS_ERR(priv->clk)) {
		ret = dev_err_probe(&pdev->dev, PTR_ERR(priv->clk), "no mclk\n");
		return ret;
	}
	ret = ep_hw_init(priv);
	if (ret) {
		regulator_disable(priv->vdd);
		return ret;
	}
	return 0;
}

/* A control's put() that powers the codec up and never down. */
static int pw_switch_put(struct snd_kcontrol *kcontrol, struct snd_ctl_elem_value *ucontrol)
{
	struct hda_codec *codec = snd_kcontrol_chip(kcontrol);
	int changed;

	snd_hda_power_up(codec);
	changed = pw_write_switch(codec, ucontrol->value.integer.value[0]);
	return changed;
}

/* The device node's card comes back with a reference raised; removing the file from the
 * card does not drop it. */
static int mo_open(struct inode *inode, struct file *file)
{
	struct snd_card *card;
	struct mo_file *mf;
	int err;

	card = snd_lookup_minor_data(iminor(inode), SNDRV_DEVICE_TYPE_CONTROL);
	if (card == NULL)
		return -ENODEV;
	err = snd_card_file_add(card, file);
	if (err < 0) {
		snd_card_unref(card);
		return err;
	}
	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (mf == NULL) {
		snd_card_file_remove(card, file);
		return -ENOMEM;
	}
	mf->card = card;
	file->private_data = mf;
	snd_card_unref(card);
	return 0;
}
