// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: references dropped correctly. */
#include <linux/of.h>
#include <linux/pm_runtime.h>

static int fx_find_port(struct device_node *np)
{
	struct device_node *child;

	for_each_child_of_node(np, child) {
		if (!of_device_is_available(child)) {
			of_node_put(child);
			return -ENODEV;
		}
	}
	return 0;
}

static struct device_node *fx_first_codec(struct device_node *np)
{
	struct device_node *child;

	for_each_child_of_node(np, child) {
		if (of_node_name_eq(child, "codec"))
			break;
	}
	if (!child)
		return NULL;
	return child;
}

static int fx_resume_io(struct device *dev)
{
	int ret;

	ret = pm_runtime_resume_and_get(dev);
	if (ret < 0)
		return ret;
	fx_io(dev);
	pm_runtime_put(dev);
	return 0;
}

static int fx_resume_noidle(struct device *dev)
{
	int ret;

	ret = pm_runtime_get_sync(dev);
	if (ret < 0) {
		pm_runtime_put_noidle(dev);
		return ret;
	}
	fx_io(dev);
	pm_runtime_put(dev);
	return 0;
}

static int fx_alias(struct device *codec_dev, struct fx_priv *priv)
{
	int ret;

	priv->codec = get_device(codec_dev);
	ret = fx_setup(priv);
	if (ret) {
		put_device(codec_dev);
		return ret;
	}
	return 0;
}

static int fx_gpio(struct device *dev)
{
	struct gpio_desc *desc;
	int error;

	desc = gpiod_get_optional(dev, "mute", GPIOD_IN);
	error = PTR_ERR_OR_ZERO(desc);
	if (error)
		return error;
	fx_use_gpio(desc);
	gpiod_put(desc);
	return 0;
}

/* A driver helper named after the put drops the usage count of ctx->dev. */
static int fx_open_stream(struct fx_ctx *ctx)
{
	int ret, id;

	ret = pm_runtime_resume_and_get(ctx->dev);
	if (ret < 0)
		return ret;
	id = fx_get_stream(ctx);
	if (id <= 0) {
		fx_pm_runtime_put(ctx);
		return -EINVAL;
	}
	return id;
}

/* Node references kept in an array are dropped by a loop over the array. */
static int fx_parse_links(struct platform_device *pdev, struct device_node *np)
{
	struct device_node *cpu[2], *codec;
	int i;

	cpu[0] = of_parse_phandle(np, "fx,cpu", 0);
	cpu[1] = of_parse_phandle(np, "fx,cpu", 1);
	codec = of_parse_phandle(np, "fx,codec", 0);
	if (!cpu[0] || !cpu[1] || !codec) {
		for (i = 0; i < 2; i++)
			of_node_put(cpu[i]);
		of_node_put(codec);
		return -EINVAL;
	}
	fx_links[0].cpu_np = cpu[0];
	fx_links[1].cpu_np = cpu[1];
	fx_links[0].codec_np = codec;
	return 0;
}

/* The failed device_register()'s reference dropped as its documentation asks. */
static int rg_dev_register_ok(struct rg_codec *codec)
{
	int err;

	codec->dev.release = rg_dev_release;
	dev_set_name(&codec->dev, "rg-%d", codec->num);
	err = device_register(&codec->dev);
	if (err < 0) {
		put_device(&codec->dev);
		return err;
	}
	codec->registered = true;
	return 0;
}

/* A helper of this file, not static (a quirk file calls it too), that drops the ACPI
 * device kept in the object on its own failure path. */
int am_parse_acpi(struct am_amp *amp, struct device *physdev)
{
	int ret;

	ret = am_read_u32(physdev, "am,id", &amp->id);
	if (ret)
		goto err;
	amp->valid = true;
	return 0;
err:
	amp->valid = false;
	acpi_dev_put(amp->dacpi);
	return ret;
}

static int am_read_acpi(struct am_amp *amp, const char *hid)
{
	struct acpi_device *adev;
	struct device *physdev;
	int ret;

	adev = acpi_dev_get_first_match_dev(hid, NULL, -1);
	if (!adev)
		return -ENODEV;
	amp->dacpi = adev;
	physdev = get_device(acpi_get_first_physical_node(adev));
	if (!physdev) {
		acpi_dev_put(adev);
		return -ENODEV;
	}
	ret = am_parse_acpi(amp, physdev);
	put_device(physdev);
	if (ret)
		return ret;
	return 0;
}

/* A void function that leaves the device powered on purpose: its stop() drops the count.
 * Nothing in it releases the count, so a failure return says nothing. */
static void hp_power_on(struct hp_info *info)
{
	int ret;

	pm_runtime_get_sync(info->dev);
	ret = regmap_write(info->regmap, HP_POWER, 1);
	if (ret)
		return;
	info->powered = true;
}

/* A control's put() that keeps the codec powered for as long as the switch is on: the
 * other branch powers it down. */
static int pw_loopback_put(struct snd_kcontrol *kcontrol, struct snd_ctl_elem_value *ucontrol)
{
	struct hda_codec *codec = snd_kcontrol_chip(kcontrol);
	struct pw_spec *spec = codec->spec;

	if (spec->loopback == ucontrol->value.integer.value[0])
		return 0;
	spec->loopback = ucontrol->value.integer.value[0];
	if (spec->loopback)
		snd_hda_power_up(codec);
	else
		snd_hda_power_down(codec);
	return 1;
}

/* The PCM's card reference is dropped through pcm->card. */
static int mo_pcm_open(struct inode *inode, struct file *file)
{
	struct snd_pcm *pcm;
	int err;

	pcm = snd_lookup_minor_data(iminor(inode), SNDRV_DEVICE_TYPE_PCM_PLAYBACK);
	if (!pcm)
		return -ENODEV;
	err = mo_pcm_do_open(file, pcm);
	snd_card_unref(pcm->card);
	return err;
}
