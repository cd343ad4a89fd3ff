/* Runtime-PM usage taken per call, in a driver whose teardown action also drops a usage
 * count: the action balances the probe's count, not each callback's. */

struct cb_dev {
	struct device *dev;
	unsigned int fmt;
	int irq_status;
};

static void cb_pm_put(void *data)
{
	struct cb_dev *d = data;

	pm_runtime_put_sync(d->dev);
}

static int cb_probe(struct platform_device *pdev, struct cb_dev *d)
{
	pm_runtime_get_noresume(d->dev);
	return devm_add_action_or_reset(&pdev->dev, cb_pm_put, d);
}

/* The unsupported-format return leaves the usage count raised: the device never suspends. */
static int cb_set_fmt(struct cb_dev *d, unsigned int fmt)
{
	int ret = 0;

	pm_runtime_get_sync(d->dev);
	if (fmt > 3)
		return -EINVAL;
	d->fmt = fmt;
	pm_runtime_put(d->dev);
	return ret;
}

/* An interrupt handler: the early IRQ_HANDLED skips the put that the other IRQ_HANDLED
 * return runs. */
static irqreturn_t cb_irq(int irq, void *data)
{
	struct cb_dev *d = data;

	pm_runtime_get_sync(d->dev);
	if (!d->irq_status)
		return IRQ_HANDLED;
	d->irq_status = 0;
	pm_runtime_put(d->dev);
	return IRQ_HANDLED;
}

/* Re-initialisation returns early with ret still 0, skipping the put that the first
 * initialisation's own `return ret;` (also 0) runs. */
static int cb_io_sync(struct cb_dev *d, bool again)
{
	int ret = 0;

	pm_runtime_get_noresume(d->dev);
	if (again)
		return ret;
	d->fmt = 0;
	pm_runtime_put_autosuspend(d->dev);
	return ret;
}

/* A control's get(): the usage count it takes is never dropped, so the device never
 * suspends again once the control has been read. */
static int cb_rate_get(struct snd_kcontrol *kcontrol, struct snd_ctl_elem_value *ucontrol)
{
	struct cb_dev *d = snd_kcontrol_chip(kcontrol);
	int ret;

	ret = pm_runtime_resume_and_get(d->dev);
	if (ret < 0)
		return ret;
	ucontrol->value.integer.value[0] = d->fmt;
	return 0;
}

/* Codec power taken for the register writes; the failing write returns without the
 * power-down that the exit label runs. */
static int cb_switch_set(struct cb_codec *codec, int on)
{
	int err;

	snd_hda_power_up(codec);
	err = cb_codec_write(codec, on);
	if (err < 0)
		return err;
	err = cb_codec_sync(codec);
	if (err < 0)
		goto exit;
	err = 1;
exit:
	snd_hda_power_down(codec);
	return err;
}

/* The close callback drops the module reference, but it runs only after open() succeeded:
 * open's own failure must drop it. */
static int tr_open(struct inode *inode, struct file *file)
{
	struct tr_dev *tdev = inode->i_private;
	int ret;

	if (!try_module_get(tdev->dev->driver->owner))
		return -ENODEV;
	if (tdev->busy) {
		ret = -EBUSY;
		goto err;
	}
	ret = kfifo_alloc(&tdev->fifo, PAGE_SIZE, GFP_KERNEL);
	if (ret < 0)
		return ret;
	file->private_data = tdev;
	return 0;
err:
	module_put(tdev->dev->driver->owner);
	return ret;
}

static int tr_release(struct inode *inode, struct file *file)
{
	struct tr_dev *tdev = file->private_data;

	kfifo_free(&tdev->fifo);
	module_put(tdev->dev->driver->owner);
	return 0;
}

static const struct file_operations tr_fops = {
	.open = tr_open,
	.release = tr_release,
};
