/* KL102 skipped-cleanup: shapes that look inconsistent but are not. */
#include <linux/platform_device.h>

struct fx_codec {
	struct device *dev;
	struct fx_dsp *dsp;
	struct fx_bus *bus;
	struct fx_card *card;
	void (*private_free)(struct fx_codec *fx);
	bool soft_reset;
	bool error;
};

/* The cleanup ran on the main line before the later failure. */
static int fx_parse_image(struct fx_codec *fx, const char *name)
{
	const struct firmware *fw;
	int ret;

	ret = fx_image_get(&fw, name);
	if (ret)
		return ret;
	ret = fx_image_check(fw);
	if (ret) {
		fx_image_release(fw);
		return ret;
	}
	ret = fx_image_apply(fx, fw);
	fx_image_release(fw);
	if (ret)
		return ret;
	return fx_codec_sync(fx);
}

/* Handed to a helper that keeps it: the later failures leave it to the owner. */
static int fx_add_card(struct fx_codec *fx, int idx)
{
	struct fx_card *card;
	int err;

	err = fx_card_alloc(fx->dev, idx, &card);
	if (err < 0)
		return err;
	err = fx_card_setup(fx, card, idx);
	if (err < 0) {
		fx_card_destroy(card);
		return err;
	}
	err = fx_card_register_proc(fx);
	if (err < 0)
		return err;
	return 0;
}

/* A destructor installed in between takes over the teardown. */
static int fx_add_control(struct fx_codec *fx, struct fx_elem *elem)
{
	struct fx_ctl *ctl;
	int err;

	ctl = fx_ctl_new(elem);
	if (!ctl) {
		fx_elem_free(elem);
		return -ENOMEM;
	}
	ctl->private_free = fx_ctl_elem_free;
	err = fx_ctl_add(fx->card, ctl);
	if (err < 0)
		return err;
	return 0;
}

/* A jump that is not a failure (a soft reset skips the one-time part). */
static int fx_codec_init(struct fx_codec *fx)
{
	int ret;

	if (fx->soft_reset)
		goto post_reset;
	ret = fx_codec_hw_init(fx);
	if (ret < 0)
		return ret;
post_reset:
	ret = fx_codec_sync(fx);
	if (ret) {
		fx_codec_put_pm(fx);
		return ret;
	}
	fx_codec_put_pm(fx);
	return 0;
}

/* The later exit calls a helper of this file that does the same cleanup. */
static void fx_unregister_all(struct fx_codec *fx)
{
	fx_bus_detach(fx->bus);
	fx_dsp_remove(fx->dsp);
}

static int fx_codec_start(struct fx_codec *fx)
{
	int err;

	err = fx_bus_attach(fx->bus);
	if (err < 0)
		return err;
	err = fx_codec_wait(fx);
	if (err < 0) {
		fx_bus_detach(fx->bus);
		return err;
	}
	err = fx_codec_enable(fx);
	if (err < 0) {
		fx_unregister_all(fx);
		return err;
	}
	return 0;
}

/* Branches inside the unwind code are not exits of their own. */
static int fx_codec_resume(struct fx_codec *fx)
{
	int err;

	err = fx_dsp_start(fx->dsp);
	if (err < 0)
		goto error;
	err = fx_bus_attach(fx->bus);
	if (err < 0)
		goto error;
	return 0;
error:
	fx_dsp_remove(fx->dsp);
	if (fx->error)
		fx_bus_detach(fx->bus);
	return err;
}

/* A correct ladder: each later failure undoes at least what the earlier ones undo. */
static int fx_codec_bind(struct fx_codec *fx)
{
	int ret;

	ret = fx_dsp_start(fx->dsp);
	if (ret)
		return ret;
	ret = fx_bus_attach(fx->bus);
	if (ret)
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

/* The early exit tests the object itself: on the main line after it there is none. */
static int fx_check_no_dsp(struct fx_codec *fx, struct device_node *np)
{
	struct device_node *dsp;

	dsp = fx_find_dsp_node(np);
	if (dsp) {
		fx_node_put(dsp);
		return -EBUSY;
	}
	if (fx_codec_sync(fx) < 0)
		return -EIO;
	return 0;
}

/* The exit is the failed allocation itself: nothing to free on it. */
static int fx_copier_setup(struct fx_codec *fx)
{
	fx->fmt = kzalloc(16, GFP_KERNEL);
	if (!fx->fmt)
		return -ENOMEM;
	if (fx_parse_fmt(fx) < 0)
		goto err_fmt;
	fx->attr = kzalloc(16, GFP_KERNEL);
	if (!fx->attr)
		goto err_fmt;
	if (fx_check_attr(fx) < 0)
		goto err_attr;
	return 0;
err_attr:
	kfree(fx->attr);
err_fmt:
	fx_free_fmt(fx);
	return -EINVAL;
}

/* A forward jump into the main line (it can still end in `return 0;`) is not a failure. */
static int fx_copier_host(struct fx_codec *fx, struct fx_card *card)
{
	int ret;

	fx->fmt = kzalloc(16, GFP_KERNEL);
	if (!fx->fmt)
		return -ENOMEM;
	if (!card)
		goto skip_cfg;
	ret = fx_card_update(card);
	if (ret)
		goto err_fmt;
skip_cfg:
	fx->attr = kzalloc(16, GFP_KERNEL);
	if (!fx->attr) {
		ret = -ENOMEM;
		goto err_fmt;
	}
	ret = fx_check_attr(fx);
	if (ret)
		goto err_attr;
	return 0;
err_attr:
	kfree(fx->attr);
err_fmt:
	kfree(fx->fmt);
	return ret;
}
