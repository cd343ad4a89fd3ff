// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: ALSA PCI probe whose later failure forgets the card. */
#include <sound/core.h>

struct fx_chip {
	struct snd_card *card;
	struct pci_dev *pci;
	int irq;
};

static int fx_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	struct snd_card *card;
	struct fx_chip *chip;
	struct snd_pcm *pcm;
	int err;

	err = snd_card_new(&pci->dev, -1, NULL, THIS_MODULE, sizeof(*chip), &card);
	if (err < 0)
		return err;
	chip = card->private_data;
	chip->card = card;

	err = snd_pcm_new(card, "fx", 0, 1, 1, &pcm);
	if (err < 0)
		return err;

	err = snd_card_register(card);
	if (err < 0)
		goto err_free;
	pci_set_drvdata(pci, card);
	return 0;

err_free:
	snd_card_free(card);
	return err;
}

static int fx_load_table(struct fx_chip *chip, size_t len)
{
	u8 *table;

	table = kzalloc(len, GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	if (len < 16) {
		kfree(table);
		return -EINVAL;
	}
	if (fx_hw_busy(chip))
		return -EBUSY;
	fx_write_table(chip, table, len);
	kfree(table);
	return 0;
}

static int fx_setup_irq(struct fx_chip *chip)
{
	int err;

	err = request_irq(chip->irq, fx_interrupt, IRQF_SHARED, "fx", chip);
	if (err)
		return err;
	err = fx_enable_dma(chip);
	if (err < 0)
		return err;
	return 0;
}

static int fx_ladder(struct fx_chip *chip)
{
	void *a, *b;
	int ret;

	a = kmalloc(64, GFP_KERNEL);
	if (!a)
		return -ENOMEM;
	b = kmalloc(64, GFP_KERNEL);
	if (!b) {
		ret = -ENOMEM;
		goto out_free_a;
	}
	ret = fx_use(chip, a, b);
	if (ret)
		goto out_free_a;
	kfree(b);
	kfree(a);
	return 0;

out_free_a:
	kfree(a);
	return ret;
}

/* Clocks kept in an array indexed by constants are tracked slot by slot. */
static int fx_runtime_resume(struct fx_priv *priv)
{
	int ret;

	ret = clk_prepare_enable(priv->clocks[FX_CLK_BUS]);
	if (ret)
		return ret;
	ret = clk_prepare_enable(priv->clocks[FX_CLK_CORE]);
	if (ret)
		return ret;
	ret = fx_hw_restore(priv);
	if (ret)
		goto err_core;
	return 0;

err_core:
	clk_disable_unprepare(priv->clocks[FX_CLK_CORE]);
	clk_disable_unprepare(priv->clocks[FX_CLK_BUS]);
	return ret;
}

/* A registration that failed did not take the object: it is still ours to free. */
static int fx_add_port(struct fx_chip *chip)
{
	struct fx_port *port;
	int err;

	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return -ENOMEM;
	atomic_set(&port->users, 0);
	INIT_LIST_HEAD(&port->list);
	err = fx_bus_attach_port(chip->bus, port);
	if (err < 0)
		return err;
	return 0;
}

/* A component registered by hand must be unregistered when a later probe step fails. */
static int fx_dai_probe(struct platform_device *pdev)
{
	int ret;

	ret = snd_soc_register_component(&pdev->dev, &fx_component, &fx_dai, 1);
	if (ret)
		return ret;
	ret = fx_register_platform(pdev);
	if (ret)
		return ret;
	return 0;
}

/* A wait-queue entry on the stack must be unlinked on every way out. */
static int fx_wait_ready(struct fx_chip *chip)
{
	wait_queue_entry_t wait;

	init_waitqueue_entry(&wait, current);
	add_wait_queue(&chip->sleep, &wait);
	if (fx_signal_pending(chip))
		return -ERESTARTSYS;
	fx_sleep(chip);
	remove_wait_queue(&chip->sleep, &wait);
	return 0;
}

/* The private struct is set as client data before the last step; when that step fails no
 * remove() will run, so the supplies it enabled are still the probe's to turn off. */
struct dd_priv { struct regulator_bulk_data supplies[2]; void *regmap; };

static int dd_i2c_probe(struct i2c_client *i2c)
{
	struct dd_priv *priv;
	int ret;

	priv = devm_kzalloc(&i2c->dev, sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	ret = regulator_bulk_enable(2, priv->supplies);
	if (ret)
		return ret;
	ret = dd_reset(priv);
	if (ret)
		goto disable;
	i2c_set_clientdata(i2c, priv);
	ret = devm_snd_soc_register_component(&i2c->dev, &dd_component, NULL, 0);
	if (ret)
		return ret;
	return 0;

disable:
	regulator_bulk_disable(2, priv->supplies);
	return ret;
}

/* `ret == -EBUSY` being false says nothing about ret being an error: the other errors from
 * the reset GPIO return with the supplies still on. */
static int eb_i2c_probe(struct i2c_client *i2c)
{
	struct dd_priv *priv;
	struct gpio_desc *reset;
	int ret;

	priv = devm_kzalloc(&i2c->dev, sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	ret = regulator_bulk_enable(2, priv->supplies);
	if (ret)
		return ret;
	reset = devm_gpiod_get_optional(&i2c->dev, "reset", GPIOD_OUT_LOW);
	if (IS_ERR(reset)) {
		ret = PTR_ERR(reset);
		if (ret == -EBUSY)
			dev_info(&i2c->dev, "shared reset\n");
		else
			return ret;
	}
	ret = dd_reset(priv);
	if (ret)
		goto disable;
	return 0;

disable:
	regulator_bulk_disable(2, priv->supplies);
	return ret;
}

/* Setting up a work item inside the card's private data does not hand the card to
 * anybody: the register failure must still free it. */
struct wk_chip {
	struct snd_card *card;
	struct work_struct work;
};

static void wk_work(struct work_struct *work);

static int wk_probe(struct usb_interface *intf)
{
	struct snd_card *card;
	struct wk_chip *chip;
	int err;

	err = snd_card_new(&intf->dev, -1, NULL, THIS_MODULE, sizeof(*chip), &card);
	if (err < 0)
		return err;
	chip = card->private_data;
	chip->card = card;
	INIT_WORK(&chip->work, wk_work);
	timer_setup(&chip->timer, wk_timer, 0);
	err = wk_create_pcm(chip);
	if (err < 0)
		goto error;
	err = snd_card_register(card);
	if (err < 0)
		return err;
	usb_set_intfdata(intf, chip);
	return 0;

error:
	snd_card_free(card);
	return err;
}

/* Setting the DMA mask of the device configures it; the enabled device is still ours. */
static int dm_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	struct dm_mgr *mgr;
	int err;

	err = pci_enable_device(pci);
	if (err < 0)
		return err;
	pci_set_master(pci);
	if (dma_set_mask(&pci->dev, DMA_BIT_MASK(32)) < 0) {
		dev_err(&pci->dev, "no 32bit DMA\n");
		return -ENXIO;
	}
	mgr = kzalloc(sizeof(*mgr), GFP_KERNEL);
	if (!mgr) {
		pci_disable_device(pci);
		return -ENOMEM;
	}
	pci_set_drvdata(pci, mgr);
	return 0;
}

/* Dropping the usage count taken for the first register writes leaves runtime PM enabled:
 * the failure after it still has to disable it, as the later failure does. */
static int rp_probe(struct platform_device *pdev)
{
	struct rp_priv *rp;
	int ret;

	rp = devm_kzalloc(&pdev->dev, sizeof(*rp), GFP_KERNEL);
	if (!rp)
		return -ENOMEM;
	pm_runtime_enable(&pdev->dev);
	ret = pm_runtime_resume_and_get(&pdev->dev);
	if (ret)
		goto err_disable;
	rp_hw_init(rp);
	pm_runtime_put(&pdev->dev);
	ret = devm_snd_soc_register_component(&pdev->dev, &rp_component, &rp_dai, 1);
	if (ret)
		return ret;
	ret = devm_snd_dmaengine_pcm_register(&pdev->dev, NULL, 0);
	if (ret)
		goto err_disable;
	return 0;

err_disable:
	pm_runtime_disable(&pdev->dev);
	return ret;
}

/* Registering the PCM on the device does not take over the device's runtime-PM state. */
static int tg_probe(struct platform_device *pdev)
{
	int ret;

	pm_runtime_enable(&pdev->dev);
	ret = snd_soc_register_component(&pdev->dev, &tg_component, &tg_dai, 1);
	if (ret)
		goto err_pm_disable;
	ret = tg_pcm_platform_register(&pdev->dev);
	if (ret)
		return ret;
	return 0;

err_pm_disable:
	pm_runtime_disable(&pdev->dev);
	return ret;
}
