// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: error paths that are right; kernlint must stay silent. */
#include <linux/slab.h>
#include <sound/core.h>

struct fx_chip {
	struct snd_card *card;
	void *buf;
	int irq;
	struct list_head list;
	struct list_head node;
};

/* Managed APIs never leak. */
static int fx_managed(struct pci_dev *pci)
{
	struct snd_card *card;
	struct fx_chip *chip;
	int err;

	err = snd_devm_card_new(&pci->dev, -1, NULL, THIS_MODULE, sizeof(*chip), &card);
	if (err < 0)
		return err;
	chip = devm_kzalloc(&pci->dev, sizeof(*chip), GFP_KERNEL);
	if (!chip)
		return -ENOMEM;
	err = pcim_enable_device(pci);
	if (err < 0)
		return err;
	err = pci_request_regions(pci, "fx");
	if (err < 0)
		return err;
	err = fx_hw_init(chip);
	if (err < 0)
		return err;
	return 0;
}

/* The failed allocation is not held. */
static int fx_alloc_failed(struct fx_chip *chip)
{
	void *p;

	p = kmalloc(32, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	chip->buf = p;
	return 0;
}

/* Paths correlated through the error value. */
static int fx_correlated(struct fx_chip *chip)
{
	void *d;
	int err;

	d = kzalloc(16, GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	err = fx_fill(chip, d);
	if (err)
		kfree(d);
	fx_log(chip);
	if (err)
		return err;
	chip->buf = d;
	return 0;
}

/* __free() scopes, hand-off with return_ptr/no_free_ptr. */
static void *fx_scoped(struct fx_chip *chip)
{
	void *tmp __free(kfree) = kzalloc(64, GFP_KERNEL);

	if (!tmp)
		return NULL;
	if (fx_fill(chip, tmp))
		return NULL;
	return_ptr(tmp);
}

/* Ownership handed to the card, a list, the device, or the caller. */
static int fx_handoff(struct fx_chip *chip, struct snd_card *card, struct fx_chip **out)
{
	struct snd_kcontrol *kctl;
	struct fx_chip *item;
	int err;

	kctl = snd_ctl_new1(&fx_control, chip);
	if (!kctl)
		return -ENOMEM;
	err = snd_ctl_add(card, kctl);
	if (err < 0)
		return err;
	item = kzalloc(sizeof(*item), GFP_KERNEL);
	if (!item)
		return -ENOMEM;
	list_add(&item->node, &chip->list);
	if (fx_hw_busy(chip))
		return -EBUSY;
	item = kzalloc(sizeof(*item), GFP_KERNEL);
	if (!item)
		return -ENOMEM;
	*out = item;
	if (fx_hw_busy(chip))
		return -EBUSY;
	return 0;
}

/* A destructor installed on the card releases the IRQ. */
static void fx_private_free(struct snd_card *card)
{
	struct fx_chip *chip = card->private_data;

	free_irq(chip->irq, chip);
}

static int fx_with_destructor(struct fx_chip *chip, struct snd_card *card)
{
	int err;

	card->private_free = fx_private_free;
	err = request_irq(chip->irq, fx_interrupt, 0, "fx", chip);
	if (err)
		return err;
	err = fx_hw_init(chip);
	if (err)
		return err;
	return 0;
}

/* A NULL card at the shared label holds nothing. */
static int fx_null_label(struct device *dev)
{
	struct snd_card *card = NULL;
	int err;

	err = fx_prepare(dev);
	if (err)
		goto out;
	err = snd_card_new(dev, -1, NULL, THIS_MODULE, 0, &card);
	if (err < 0)
		goto out;
	err = snd_card_register(card);
	if (err < 0)
		goto out;
	dev_set_drvdata(dev, card);
	return 0;
out:
	if (card)
		snd_card_free(card);
	return err;
}

/* A register getter and putter are not an ownership pair. */
static int fx_getput(struct fx_chip *chip, int idx)
{
	int old, change;

	old = fx_reg_get(chip, idx);
	change = old != idx;
	if (change)
		fx_reg_put(chip, idx, old | 1);
	return change;
}

/* A chained store hands the buffer to the private data. */
static int fx_chained(struct fx_file *data, size_t next)
{
	struct fx_buf *buf = data->wbuffer;

	if (!buf) {
		data->wbuffer = buf = kzalloc(sizeof(*buf), GFP_KERNEL);
		if (!buf)
			return -ENOMEM;
	}
	if (next > buf->len)
		return -EINVAL;
	return 0;
}

/* A static helper that powers the part down releases what the boot enabled. */
static void fx_halt(struct fx_chip *chip)
{
	struct fx_priv *priv = fx_get_priv(chip);

	if (priv->powered)
		regulator_bulk_disable(FX_NUM_SUPPLIES, priv->supplies);
}

static int fx_boot(struct fx_chip *chip, struct fx_priv *priv)
{
	int ret;

	ret = regulator_bulk_enable(FX_NUM_SUPPLIES, priv->supplies);
	if (ret)
		return ret;
	ret = fx_load(chip);
	if (ret)
		goto abort;
	ret = fx_start_dsp(chip);
	if (ret) {
		regulator_bulk_disable(FX_NUM_SUPPLIES, priv->supplies);
		return ret;
	}
	return 0;
abort:
	fx_halt(chip);
	return ret;
}

/* A fresh allocation is never the caller's buffer. */
static int fx_maybe_copy(struct fx_chip *chip, int *list, int len)
{
	int *result = list;

	if (len > 8) {
		result = kmalloc_array(len, sizeof(int), GFP_KERNEL);
		if (!result)
			return -ENOMEM;
		fx_read_list(chip, result, len);
	}
	if (len >= 0)
		len = fx_use_list(chip, result, len);
	if (result != list)
		kfree(result);
	return len;
}

/* The object embeds the core that an external free tears down with it. */
int fx_endpoint_new(struct fx_card *card, struct fx_endpoint **ret)
{
	struct fx_endpoint *ep;
	int err;

	ep = kzalloc(sizeof(*ep), GFP_KERNEL);
	if (!ep)
		return -ENOMEM;
	err = fx_core_init(&ep->core, card);
	if (err < 0) {
		fx_core_free(&ep->core);
		return err;
	}
	*ret = ep;
	return 0;
}

/* Handed over once the registration succeeded: later failures leave it to the owner. */
static int fx_add_port2(struct fx_chip *chip)
{
	struct fx_port *port;
	int err;

	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return -ENOMEM;
	err = fx_bus_attach_port(chip->bus, port);
	if (err < 0) {
		kfree(port);
		return err;
	}
	err = fx_bus_sync(chip->bus);
	if (err < 0)
		return err;
	return 0;
}

/* An enable callback that gives up half-way: its caller (DAPM, set_bias_level, resume) runs
 * the paired disable anyway, so an early return is not reported without an exemplar. */
static int fx_enable_clocks(struct fx_priv *priv)
{
	int ret;

	ret = clk_prepare_enable(priv->clk[FX_CLK_BUS]);
	if (ret)
		goto out;
	ret = clk_prepare_enable(priv->clk[FX_CLK_CORE]);
	if (ret)
		goto out;
out:
	return ret;
}

/* Enabled through a local alias of the device, disabled through the device itself. */
static int fx_pm_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	int ret;

	pm_runtime_enable(dev);
	ret = fx_register(pdev);
	if (ret) {
		pm_runtime_disable(&pdev->dev);
		return ret;
	}
	return 0;
}

static int fx_power_sequence(struct fx_priv *priv)
{
	fx_write(priv, FX_RESET, 1);
	fx_write(priv, FX_RESET, 0);
	return 0;
}

/* The helper can only return 0: the error branch after it is dead code. */
static int fx_sequence_probe(struct fx_priv *priv)
{
	int ret;

	ret = regulator_bulk_enable(FX_NUM_SUPPLIES, priv->supplies);
	if (ret)
		return ret;
	ret = fx_power_sequence(priv);
	if (ret < 0)
		return ret;
	return 0;
}

/* A soft failure (the optional cache) is undone on the spot and set-up goes on; a later error
 * return leaves the rest to the caller's teardown, as the driver documents. Freeing the cache
 * there is no unwinding of the buffer taken before it. */
static int fx_adapter_create(struct fx_adapter *ad)
{
	int err;

	if (fx_locked_alloc(&ad->iface_mem, 64, ad->pci))
		ad->iface = NULL;
	err = fx_boot_dsp(ad);
	if (err)
		return err;
	err = fx_locked_alloc(&ad->cache_mem, 128, ad->pci);
	if (err)
		fx_locked_free(&ad->cache_mem);
	err = fx_send_info(ad);
	if (err)
		return err;
	return 0;
}

/* Which of the two rings exists depends on the stream direction; the unwind code tests the
 * direction against the other enumerator of the pair, so only the ring that was allocated is
 * freed. */
static int fx_stream_start(struct fx_stream *s, unsigned int n)
{
	int err;

	mutex_lock(&s->lock);
	if (s->dir == FX_IN_STREAM) {
		s->in_ring = kcalloc(n, 16, GFP_KERNEL);
		if (!s->in_ring) {
			err = -ENOMEM;
			goto err_unlock;
		}
	} else {
		s->out_ring = kcalloc(n, 16, GFP_KERNEL);
		if (!s->out_ring) {
			err = -ENOMEM;
			goto err_unlock;
		}
	}
	s->descs = kcalloc(n, 32, GFP_KERNEL);
	if (!s->descs) {
		err = -ENOMEM;
		goto err_rings;
	}
	err = fx_queue_all(s);
	if (err < 0)
		goto err_descs;
	mutex_unlock(&s->lock);
	return 0;

err_descs:
	kfree(s->descs);
	s->descs = NULL;
err_rings:
	if (s->dir == FX_OUT_STREAM)
		kfree(s->out_ring);
	else
		kfree(s->in_ring);
err_unlock:
	mutex_unlock(&s->lock);
	return err;
}

/* The block is linked after the pool's last block inside the loop (the pool always starts
 * with a sentinel block, so the loop runs). The later error return leaves it to the pool:
 * an exit after a hand-off inside a loop is not second-guessed. */
static struct fx_block *fx_block_link(struct fx_pool *pool, unsigned int start)
{
	struct fx_block *nb, *pos;

	nb = kzalloc(sizeof(*nb), GFP_KERNEL);
	if (!nb)
		return NULL;
	nb->start = start;
	for (pos = pool->first; pos; pos = pos->next) {
		if (!pos->next) {
			pos->next = nb;
			nb->prev = pos;
			break;
		}
	}
	if (fx_pool_full(pool))
		return NULL;
	return nb;
}

/* devm_add_action_or_reset() runs the action itself when it fails. */
static int fx_add_child_reset(struct device *dev, const char *name)
{
	struct platform_device *child;
	int ret;

	child = platform_device_register_data(dev, name, 0, NULL, 0);
	if (IS_ERR(child))
		return PTR_ERR(child);
	ret = devm_add_action_or_reset(dev, fx_child_unregister, child);
	if (ret)
		return ret;
	return 0;
}

/* This file's add_pending() keeps what it is given: the later failure is not a leak. */
struct kp_client { void *pending; int busy; };

static void kp_add_pending(struct kp_client *c, void *buf)
{
	c->pending = buf;
}

static int kp_queue(struct kp_client *c)
{
	void *buf;

	buf = kzalloc(64, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	kp_add_pending(c, buf);
	if (c->busy)
		return -EBUSY;
	return 0;
}
