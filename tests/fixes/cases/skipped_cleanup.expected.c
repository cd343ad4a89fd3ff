/* KL102 skipped-cleanup: later failures that skip an unwind step the earlier ones run. */
#include <linux/platform_device.h>

struct fx_codec {
	struct device *dev;
	struct fx_dsp *dsp;
	struct fx_bus *bus;
	int irq;
};

/* A `return` written where the ladder needed a `goto`. */
static int fx_codec_probe(struct fx_codec *fx)
{
	int ret;

	ret = fx_dsp_boot(fx->dsp);
	if (ret)
		return ret;

	ret = fx_bus_join(fx->bus);
	if (ret)
		goto err_dsp;

	ret = fx_codec_identify(fx);
	if (ret < 0)
		goto err_dsp;

	ret = fx_codec_setup_irq(fx);
	if (ret)
		goto err_bus;
	return 0;

err_bus:
	fx_bus_detach(fx->bus);
err_dsp:
	fx_dsp_remove(fx->dsp);
	return ret;
}

/* An inline cleanup on the first failure, none on the second. Not reported: nothing after
 * this exit powers the codec down again, so the skipped step is not corroborated (a known
 * false negative, the price of KL102's precision on real drivers). */
static int fx_codec_load(struct fx_codec *fx, const char *name)
{
	int err;

	err = fx_codec_power_up(fx);
	if (err)
		return err;

	err = fx_codec_read_id(fx);
	if (err < 0) {
		dev_err(fx->dev, "no id: %d\n", err);
		fx_codec_power_down(fx);
		return err;
	}

	err = fx_codec_load_table(fx, name);
	if (err < 0) {
		dev_err(fx->dev, "no table: %d\n", err);
		return err;
	}
	return 0;
}

/* The driver's own unlock helper, skipped by a later error. */
static int fx_codec_write(struct fx_codec *fx, unsigned int reg, unsigned int val)
{
	int ret;

	fx_bus_lock(fx->bus);
	ret = fx_bus_select(fx->bus, reg);
	if (ret < 0) {
		fx_bus_unlock(fx->bus);
		return ret;
	}
	ret = fx_bus_write(fx->bus, val);
	if (ret < 0) {
		fx_bus_unlock(fx->bus);
		return -EIO;
	}
	fx_bus_unlock(fx->bus);
	return 0;
}

/* Older drivers fail with a positive code; the same code, the same unwind. */
static int fx_codec_download(struct fx_codec *fx, const char *name)
{
	if (fx_codec_open_image(fx, name))
		return 1;
	if (fx_codec_check_image(fx))
		goto failure;
	if (fx_codec_send_image(fx))
		goto failure;
	fx_codec_close_image(fx);
	return 0;

failure:
	fx_codec_close_image(fx);
	return 1;
}

/* Another free of the same kind on the exit does not cover this object. */
static int fx_tables_init(struct fx_codec *fx)
{
	fx->tables = kcalloc(4, sizeof(*fx->tables), GFP_KERNEL);
	if (!fx->tables)
		return -ENOMEM;
	fx->names = kcalloc(4, sizeof(*fx->names), GFP_KERNEL);
	if (!fx->names)
		goto err_tables;
	fx->names[0] = kzalloc(16, GFP_KERNEL);
	if (!fx->names[0]) {
		kfree(fx->names);
		goto err_tables;
	}
	return 0;
err_tables:
	kfree(fx->tables);
	return -ENOMEM;
}
