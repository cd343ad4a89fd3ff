// False-positive shapes found on the real tree; all must stay silent.
#include <linux/regmap.h>

struct demo_priv {
	spinlock_t lock;
	struct regmap *map;
	int running;
	unsigned int fmt;
};

/* regmap over MMIO (this file has no I2C/SPI driver): regmap calls do not sleep */
static irqreturn_t demo_isr(int irq, void *dev)
{
	struct demo_priv *p = dev;
	unsigned int st;

	regmap_read(p->map, 0x10, &st);
	spin_lock(&p->lock);
	if (p->running)
		regmap_write(p->map, 0x10, st);
	spin_unlock(&p->lock);
	return IRQ_HANDLED;
}

static int demo_trigger(struct snd_pcm_substream *ss, int cmd)
{
	struct demo_priv *p = snd_pcm_substream_chip(ss);

	spin_lock(&p->lock);
	p->running = cmd;
	p->fmt |= 1;
	spin_unlock(&p->lock);
	return 0;
}

/* PCM set-up callback: the data path (trigger, IRQ) of the stream is stopped */
static int demo_prepare(struct snd_pcm_substream *ss)
{
	struct demo_priv *p = snd_pcm_substream_chip(ss);

	p->running = 0;
	p->fmt = 0;
	demo_setup_periods(p);
	return 0;
}

/* a helper of the set-up callbacks (and of probe) only */
static void demo_setup_periods(struct demo_priv *p)
{
	p->running = 0;
}

static int demo_probe(struct demo_priv *p)
{
	demo_setup_periods(p);
	return 0;
}

/* the control value belongs to this call only */
static int demo_get(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_priv *p = snd_kcontrol_chip(kc);

	spin_lock_irq(&p->lock);
	uc->value.integer.value[0] = p->fmt;
	spin_unlock_irq(&p->lock);
	return 0;
}

static int demo_get2(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_priv *p = snd_kcontrol_chip(kc);

	spin_lock_irq(&p->lock);
	uc->value.integer.value[1] = p->running;
	spin_unlock_irq(&p->lock);
	return 0;
}

static int demo_info(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	uc->value.integer.value[0] = 0;
	return 0;
}

/* controls built at probe time */
static int demo_mixer_build(struct demo_priv *p)
{
	p->fmt = 2;
	return 0;
}
