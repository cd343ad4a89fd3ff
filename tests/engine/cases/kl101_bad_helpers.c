// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: file-local allocators and releasers, and an unknown API pair. */
#include <linux/slab.h>

struct fx_ring {
	void *buf;
	int size;
};

static struct fx_ring *fx_ring_alloc(int size)
{
	struct fx_ring *ring;

	ring = kzalloc(sizeof(*ring), GFP_KERNEL);
	if (!ring)
		return NULL;
	ring->size = size;
	return ring;
}

static void fx_ring_free(struct fx_ring *ring)
{
	kfree(ring);
}

static int fx_start(struct fx_dev *dev)
{
	struct fx_ring *ring;
	int err;

	ring = fx_ring_alloc(256);
	if (!ring)
		return -ENOMEM;
	err = fx_hw_init(dev);
	if (err) {
		fx_ring_free(ring);
		return err;
	}
	err = fx_hw_start(dev, ring);
	if (err)
		return err;
	fx_ring_free(ring);
	return 0;
}

static int fx_attach(struct fx_dev *dev)
{
	struct fx_session *s;
	int err;

	s = fx_session_create(dev);
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = fx_session_check(s);
	if (err) {
		fx_session_destroy(s);
		return err;
	}
	err = fx_session_bind(dev);
	if (err)
		return err;
	fx_session_destroy(s);
	return 0;
}

/* A copy of user memory is the caller's to free. */
static long fx_hwdep_write(struct fx_priv *priv, const char __user *data, long count)
{
	u8 *buf;

	buf = memdup_user(data, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	if (fx_check_header(buf) < 0)
		return -EINVAL;
	fx_send(priv, buf, count);
	kfree(buf);
	return count;
}

/* Handed to the widget, then taken back on failure: it is ours again. */
static int fx_widget_setup(struct fx_widget *w)
{
	struct fx_process *process;
	int ret;

	process = kzalloc(sizeof(*process), GFP_KERNEL);
	if (!process)
		return -ENOMEM;
	w->private = process;
	ret = fx_widget_parse(w, &process->fmt);
	if (ret)
		goto err;
	return 0;
err:
	w->private = NULL;
	return ret;
}

static int fx_setup_supplies(struct device *dev, struct fx_priv *priv)
{
	int ret;

	ret = regulator_enable(priv->vdd);
	if (ret)
		return ret;
	ret = fx_check_rails(dev);
	if (ret) {
		regulator_disable(priv->vdd);
		return ret;
	}
	return 0;
}

static void fx_disable_supplies(struct fx_priv *priv)
{
	regulator_disable(priv->vdd);
}

/* The helper returns 0 with priv->vdd enabled: the probe must undo it on a later failure. */
static int fx_supply_probe(struct device *dev, struct fx_priv *priv)
{
	int ret;

	ret = fx_setup_supplies(dev, priv);
	if (ret)
		return ret;
	ret = fx_reset_chip(priv);
	if (ret)
		return ret;
	ret = fx_register(priv);
	if (ret)
		goto err_supplies;
	return 0;
err_supplies:
	fx_disable_supplies(priv);
	return ret;
}

/* A driver's own try/release pair, paired by name: the open that fails later must release. */
static int fx_pcm_open(struct fx_priv *priv)
{
	int err;

	err = fx_stream_lock_try(priv);
	if (err < 0)
		return err;
	err = fx_pcm_constraints(priv);
	if (err < 0)
		goto err_locked;
	err = fx_pcm_reserve(priv);
	if (err < 0)
		return err;
	return 0;
err_locked:
	fx_stream_lock_release(priv);
	return err;
}

/* A set-up helper leaves a workqueue in the context on success; the caller's later failure
 * returns without the destroy its own unwind code does on the other error paths. */
struct hw_ctx {
	struct workqueue_struct *wq;
	int irq;
	void *qos;
};

static int hw_wq_init(struct hw_ctx *ctx)
{
	ctx->wq = alloc_ordered_workqueue("hw_wq", 0);
	if (!ctx->wq)
		return -EBUSY;
	return 0;
}

static int hw_ctx_init(struct hw_ctx *ctx, struct device *dev)
{
	int ret;

	if (hw_wq_init(ctx))
		return -EINVAL;
	ret = devm_request_irq(dev, ctx->irq, hw_isr, 0, "hw", ctx);
	if (ret)
		return ret;
	ctx->qos = devm_kzalloc(dev, 64, GFP_KERNEL);
	if (!ctx->qos) {
		ret = -ENOMEM;
		goto err_wq;
	}
	return 0;

err_wq:
	destroy_workqueue(ctx->wq);
	return ret;
}

/* This file's add_hdr() only fills in the header it is pointed at: the packet stays the
 * caller's, and the unsupported-format return leaks it. */
struct pk_hdr { int field; int size; };
struct pk_pkt { struct pk_hdr hdr; int fmt; };
struct pk_client { int session; void *pending; };

static void pk_add_hdr(struct pk_client *c, struct pk_hdr *hdr, int size)
{
	hdr->field = 1;
	hdr->size = size;
	hdr->field |= c->session;
}

static int pk_open(struct pk_client *c, int fmt)
{
	struct pk_pkt *pkt;
	int rc;

	pkt = kzalloc(sizeof(*pkt), GFP_KERNEL);
	if (!pkt)
		return -ENOMEM;
	pk_add_hdr(c, &pkt->hdr, sizeof(*pkt));
	if (fmt > 2)
		return -EINVAL;
	pkt->fmt = fmt;
	rc = pk_send(c, pkt);
	kfree(pkt);
	return rc;
}

/* A duplicated array of configurations leaks when the token parse fails; the other failure
 * frees it. */
struct cl_link { void *cfgs; int n; };

static int cl_link_load(struct cl_link *l, const void *src, int n)
{
	int ret;

	l->cfgs = kmemdup_array(src, n, 16, GFP_KERNEL);
	if (!l->cfgs)
		return -ENOMEM;
	ret = cl_parse_tokens(l);
	if (ret < 0)
		return ret;
	ret = cl_check(l);
	if (ret < 0) {
		kfree(l->cfgs);
		return ret;
	}
	return 0;
}

/* The spec is kept in the codec, and this file's sa_free(codec) frees what hangs off it;
 * the last parse failure returns without it. */
struct sa_codec { void *spec; void *bus; };
struct sa_spec { int cfg; };

static void sa_free(struct sa_codec *codec)
{
	sa_shutup(codec);
	snd_hda_gen_free(codec);
}

static int sa_patch(struct sa_codec *codec)
{
	struct sa_spec *spec;
	int err;

	spec = kzalloc(sizeof(*spec), GFP_KERNEL);
	if (!spec)
		return -ENOMEM;
	codec->spec = spec;
	err = sa_parse_pins(codec);
	if (err < 0)
		goto error;
	err = sa_parse_config(codec);
	if (err < 0)
		return err;
	return 0;

error:
	sa_free(codec);
	return err;
}

/* This file's free_fmt(&gain->fmt) frees the format lists inside the gain, not the gain:
 * the error label lost the kfree(gain) and clears the widget's pointer to it. */
struct fg_fmt { void *in; void *out; };
struct fg_gain { struct fg_fmt fmt; int init; };
struct fg_widget { void *private; };

static void fg_free_fmt(struct fg_fmt *fmt)
{
	fg_put_list(fmt->in);
	fg_put_list(fmt->out);
}

static int fg_setup_pga(struct fg_widget *w)
{
	struct fg_gain *gain;
	int ret;

	gain = kzalloc(sizeof(*gain), GFP_KERNEL);
	if (!gain)
		return -ENOMEM;
	w->private = gain;
	ret = fg_get_fmt(w, &gain->fmt);
	if (ret)
		goto err;
	ret = fg_setup_msg(w);
	if (ret)
		goto err;
	return 0;
err:
	fg_free_fmt(&gain->fmt);
	w->private = NULL;
	return ret;
}

/* This file's op_request() hands a requested firmware back through its out-parameter; the
 * caller's power-up failure returns without releasing it. */
struct op_dev { struct device *dev; int id; };

static int op_request(struct op_dev *d, const struct firmware **fw, int id)
{
	int ret;

	ret = request_firmware(fw, "op-fw.bin", d->dev);
	if (ret)
		return ret;
	if (id < 0) {
		release_firmware(*fw);
		return -EINVAL;
	}
	return 0;
}

static int op_load(struct op_dev *d)
{
	const struct firmware *fw;
	int ret;

	ret = op_request(d, &fw, d->id);
	if (ret)
		return ret;
	ret = op_power_up(d);
	if (ret)
		return ret;
	ret = op_download(d, fw);
	release_firmware(fw);
	return ret;
}

/* A scope-freed allocation handed to the caller with return_ptr(): the caller owns it, and
 * its supply-lookup failure returns without freeing it. */
struct sw_widget { const char *name; void *regulator; };

static struct sw_widget *sw_new_widget(const struct sw_widget *tmpl)
{
	struct sw_widget *w __free(kfree) = kmemdup(tmpl, sizeof(*tmpl), GFP_KERNEL);

	if (!w)
		return NULL;
	w->name = tmpl->name;
	return_ptr(w);
}

static struct sw_widget *sw_new_control(struct device *dev, const struct sw_widget *tmpl)
{
	struct sw_widget *w;

	w = sw_new_widget(tmpl);
	if (!w)
		return ERR_PTR(-ENOMEM);
	w->regulator = sw_regulator_get(dev, w->name);
	if (IS_ERR(w->regulator))
		return ERR_PTR(-EPROBE_DEFER);
	if (sw_register(dev, w)) {
		kfree(w);
		return ERR_PTR(-EINVAL);
	}
	return w;
}

/* A helper that allocates the codec's private data and stores it in codec->spec; the
 * caller's own error label frees it with zz_free(codec), so a bare return leaks it. */
static void zz_free(struct hda_codec *codec)
{
	struct zz_spec *spec = codec->spec;

	if (spec)
		zz_comp_free(&spec->comps);
	snd_hda_gen_free(codec);
}

static int zz_alloc_spec(struct hda_codec *codec, hda_nid_t nid)
{
	struct zz_spec *spec = kzalloc(sizeof(*spec), GFP_KERNEL);
	int err;

	if (!spec)
		return -ENOMEM;
	codec->spec = spec;
	spec->mixer_nid = nid;
	err = zz_rename(codec);
	if (err < 0) {
		kfree(spec);
		return err;
	}
	return 0;
}

static int patch_zz1(struct hda_codec *codec)
{
	struct zz_spec *spec;
	int err;

	err = zz_alloc_spec(codec, 0x0b);
	if (err < 0)
		return err;
	spec = codec->spec;
	err = zz_parse_auto_config(codec);
	if (err < 0)
		goto error;
	if (!spec->no_analog) {
		err = zz_build_beep(codec);
		if (err < 0)
			return err;
	}
	return 0;

 error:
	zz_free(codec);
	return err;
}

static struct zz_spec *zz_new_spec(struct hda_codec *codec)
{
	struct zz_spec *spec;

	spec = kzalloc(sizeof(*spec), GFP_KERNEL);
	if (spec == NULL)
		return NULL;
	codec->spec = spec;
	spec->mixer_nid = 0x21;
	return spec;
}

static int patch_zz2(struct hda_codec *codec)
{
	struct zz_spec *spec;
	int err;

	spec = zz_new_spec(codec);
	if (spec == NULL)
		return -ENOMEM;
	err = zz_add_verbs(codec, spec->init_verbs);
	if (err < 0)
		return err;
	err = zz_parse_auto_config(codec);
	if (err < 0)
		goto error;
	return 0;

 error:
	zz_free(codec);
	return err;
}
/* Helpers of this file that hand a fresh allocation back through an out-parameter: the
 * caller holds it from then on. */
static int oc_new(struct oc_kctl **kctl, unsigned int count)
{
	*kctl = kzalloc(sizeof(**kctl) + count * 8, GFP_KERNEL);
	if (!*kctl)
		return -ENOMEM;
	(*kctl)->count = count;
	return 0;
}

static int oc_chip_create(struct oc_card *card, struct oc_chip **rchip)
{
	struct oc_chip *chip;

	chip = kzalloc(sizeof(*chip), GFP_KERNEL);
	if (!chip)
		return -ENOMEM;
	chip->card = card;
	*rchip = chip;
	return 0;
}

static int oc_elem_add(struct oc_card *card, unsigned int count)
{
	struct oc_kctl *kctl;
	struct oc_user *ue;
	int err;

	err = oc_new(&kctl, count);
	if (err < 0)
		return err;
	ue = kzalloc(64, GFP_KERNEL);
	if (!ue) {
		kfree(kctl);
		return -ENOMEM;
	}
	kctl->private_data = ue;
	err = oc_init_names(ue);
	if (err < 0)
		return err;
	return oc_add(card, kctl);
}

static int oc_probe(struct oc_card *card)
{
	struct oc_chip *chip;
	int err;

	err = oc_chip_create(card, &chip);
	if (err < 0)
		return err;
	err = oc_hw_init(chip);
	if (err < 0)
		return err;
	card->private_data = chip;
	return 0;
}
