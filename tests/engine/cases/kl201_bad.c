// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: locks left held on error paths. */
#include <linux/mutex.h>
#include <linux/spinlock.h>

struct fx_chip {
	struct mutex lock;
	spinlock_t reg_lock;
	bool shutdown;
	int rate;
	int busy;
};

static int fx_set_rate(struct fx_chip *chip, int rate)
{
	mutex_lock(&chip->lock);
	if (chip->shutdown)
		return -ENODEV;
	chip->rate = rate;
	mutex_unlock(&chip->lock);
	return 0;
}

static int fx_trigger(struct fx_chip *chip, int cmd)
{
	unsigned long flags;
	int err = 0;

	spin_lock_irqsave(&chip->reg_lock, flags);
	switch (cmd) {
	case 1:
		chip->busy = 1;
		break;
	case 2:
		chip->busy = 0;
		break;
	default:
		err = -EINVAL;
		goto out;
	}
	spin_unlock_irqrestore(&chip->reg_lock, flags);
out:
	return err;
}

static void fx_poke(struct fx_chip *chip, int v)
{
	mutex_lock(&chip->lock);
	if (v < 0)
		return;
	chip->rate = v;
	mutex_unlock(&chip->lock);
}

static int fx_double(struct fx_chip *chip)
{
	mutex_lock(&chip->lock);
	if (chip->busy) {
		mutex_lock(&chip->lock);
		chip->busy = 0;
	}
	mutex_unlock(&chip->lock);
	return 0;
}

static int fx_asserted(struct fx_chip *chip)
{
	lockdep_assert_held(&chip->lock);
	mutex_lock(&chip->lock);
	chip->busy = 1;
	mutex_unlock(&chip->lock);
	return 0;
}

/* A success return in the middle of a function whose `out:` path unlocks. */
static int fx_gain_get(struct fx_chip *chip, int *val)
{
	int ret;

	mutex_lock(&chip->lock);
	ret = fx_read_gain(chip, val);
	if (ret) {
		dev_err(chip->dev, "cannot read the gain\n");
		return 0;
	}
	*val = fx_gain_to_db(*val);
out:
	mutex_unlock(&chip->lock);
	return 0;
}

/* An interruptible lock, and an error returned in a variable tested right above. */
static int fx_cmd(struct fx_chip *chip, int a, int b)
{
	int value;

	if (mutex_lock_interruptible(&chip->cmd_lock))
		return -EINTR;
	value = fx_write(chip, a);
	if (value < 0)
		return value;
	value = fx_read(chip, b);
	mutex_unlock(&chip->cmd_lock);
	return value;
}

/* The interrupt state saved in a local is lost when the function returns: whatever the
 * other paths do, leaving with the lock held here can never be undone by the caller. */
static int fx_midi_vol_put(struct fx_chip *chip, unsigned int val)
{
	unsigned long flags;
	int change;

	spin_lock_irqsave(&chip->lock, flags);
	fx_host_mode(chip);
	change = chip->midi_vol != val;
	chip->midi_vol = val;
	fx_midi_mode(chip);
	return change;
}

struct fx_hda {
	struct fx_chip *priv;
	struct device *dev;
};

/* The lock is taken through the chip and released through the codec wrapper that points at
 * the same chip: the `out` path releases it; the early return does not. */
static void fx_fw_ready(const struct firmware *fw, void *context)
{
	struct fx_chip *chip = context;
	struct fx_hda *hda = dev_get_drvdata(chip->dev);
	int ret;

	mutex_lock(&chip->codec_lock);
	ret = fx_parse_fw(chip, fw);
	if (ret)
		return;
	ret = fx_add_controls(hda);
	if (ret)
		goto out;
	fx_apply_profile(chip);
out:
	mutex_unlock(&hda->priv->codec_lock);
	release_firmware(fw);
}

/* A control's get() whose one unlock went missing: every return, the success one included,
 * leaves the codec lock held, and the next control access hangs. */
static int fx_gain_get(struct fx_chip *chip, long *value)
{
	unsigned char raw[4];
	int ret;

	mutex_lock(&chip->codec_lock);
	ret = fx_bulk_read(chip, raw, sizeof(raw));
	if (ret)
		goto out;
	*value = raw[0] | (raw[1] << 8);
out:
	return 0;
}

/* An interrupt handler whose unlock went missing: the early return before the lock is fine,
 * every return after it leaves the register lock held. */
struct fx_irqchip { spinlock_t reg_lock; bool powered; unsigned int status; };

static irqreturn_t fx_irq(int irq, void *data)
{
	struct fx_irqchip *chip = data;
	bool handled = false;

	if (!chip->powered)
		return IRQ_NONE;
	spin_lock(&chip->reg_lock);
	if (chip->status)
		handled = true;
	return IRQ_RETVAL(handled);
}

/* A search under the lock: `return 0;` typed where `goto found;` was meant skips the unlock
 * after the label, which no path reaches any more. */
struct fx_slot { int used; };
struct fx_pool { spinlock_t lock; struct fx_slot slots[4]; };

static int fx_slot_claim(struct fx_pool *pool, struct fx_slot **out)
{
	struct fx_slot *s;
	int i;

	spin_lock_irq(&pool->lock);
	for (i = 0; i < 4; i++) {
		s = &pool->slots[i];
		if (!s->used)
			return 0;
	}
	spin_unlock_irq(&pool->lock);
	return -ENOMEM;
found:
	s->used = 1;
	spin_unlock_irq(&pool->lock);
	*out = s;
	return 0;
}

/* A comment between `else` and its statement is not the else branch: the spurious-release
 * return still leaves the lock held. */
struct fx_btn { struct mutex lock; bool pressed; unsigned int buttons; };

static irqreturn_t fx_btn_release(int irq, void *data)
{
	struct fx_btn *btn = data;

	mutex_lock(&btn->lock);
	if (btn->pressed)
		btn->pressed = false;
	else /* spurious release */
		return IRQ_HANDLED;
	btn->buttons = 0;
	mutex_unlock(&btn->lock);
	return IRQ_HANDLED;
}

/* The mutex is dropped only to be taken again after a pause: no exit releases it once the
 * unlock at out: is gone. */
static ssize_t fx_queue_write(struct fx_client *client, const char *buf, size_t count)
{
	ssize_t written = 0;
	int handled;
	int err = 0;

again:
	handled = 0;
	mutex_lock(&client->ioctl_mutex);
	while (count > 0) {
		err = fx_queue_one(client, buf);
		if (err < 0)
			goto out;
		count--;
		written++;
		if (++handled >= 64) {
			mutex_unlock(&client->ioctl_mutex);
			goto again;
		}
	}
out:
	return written ? written : err;
}

/* `return ret;` with ret from a call that may fail: the caller cannot know it holds the
 * lock, so this is no lock helper's success return. */
static int fx_send_cmd(struct fx_bus *bus, unsigned int val)
{
	int timeout = 50;
	int ret = -EIO;

	spin_lock_irq(&bus->reg_lock);
	while (timeout--) {
		if (fx_ready(bus)) {
			fx_write(bus, val);
			ret = fx_wait_response(bus);
			return ret;
		}
		udelay(1);
	}
	spin_unlock_irq(&bus->reg_lock);
	return ret;
}

/* The card-wide DPCM mutex taken through the runtime. */
static int fx_fe_prepare(struct snd_soc_pcm_runtime *fe)
{
	int ret;

	snd_soc_dpcm_mutex_lock(fe);
	ret = fx_be_prepare(fe);
	if (ret < 0)
		return ret;
	ret = fx_fe_hw_prepare(fe);
	if (ret < 0)
		goto out;
	fe->state = 2;
out:
	snd_soc_dpcm_mutex_unlock(fe);
	return ret;
}

/* A lock helper: it returns with the lock held on success and without it when the lock
 * could not be taken; its callers do not unlock after a failure, so failing while holding
 * it leaves it held. */
static int fx_lock_params(struct fx_runtime *rt)
{
	if (mutex_lock_interruptible(&rt->params_lock))
		return -ERESTARTSYS;
	if (atomic_read(&rt->mmap_count))
		return -EBUSY;
	return 0;
}

/* This file's own macro for a known lock. */
#define fx_dsp_lock(dev)	snd_hdac_dsp_lock(fx_stream(dev))
#define fx_dsp_unlock(dev)	snd_hdac_dsp_unlock(fx_stream(dev))

static int fx_pcm_prepare(struct fx_dev *dev)
{
	int err;

	fx_dsp_lock(dev);
	if (fx_dsp_busy(dev))
		return -EBUSY;
	err = fx_setup_stream(dev);
	fx_dsp_unlock(dev);
	return err;
}

/* An interrupt handler cannot leave a lock for a partner to drop, even when the file has
 * an irq_bus_lock()/irq_bus_sync_unlock() pair on the same mutex. */
static irqreturn_t fx_codec_irq(int irq, void *data)
{
	struct fx_codec *codec = data;
	unsigned int status;

	mutex_lock(&codec->irq_lock);
	if (fx_read_status(codec, &status) < 0)
		return IRQ_NONE;
	fx_dispatch(codec, status);
	return IRQ_HANDLED;
}

static void fx_irq_bus_lock(struct irq_data *data)
{
	struct fx_codec *codec = irq_data_get_irq_chip_data(data);

	mutex_lock(&codec->irq_lock);
}

static void fx_irq_bus_sync_unlock(struct irq_data *data)
{
	struct fx_codec *codec = irq_data_get_irq_chip_data(data);

	fx_sync_mask(codec);
	mutex_unlock(&codec->irq_lock);
}
