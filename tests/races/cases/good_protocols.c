// Locking protocols that KR401 must not report.
struct demo_sf {
	struct mutex presets_mutex;
	spinlock_t lock;
	void *currsf;
	int open_client;
};

/* currsf: written under both locks, read under either */
static void demo_open_patch(struct demo_sf *sf, void *p)
{
	unsigned long flags;

	mutex_lock(&sf->presets_mutex);
	spin_lock_irqsave(&sf->lock, flags);
	sf->currsf = p;
	spin_unlock_irqrestore(&sf->lock, flags);
	mutex_unlock(&sf->presets_mutex);
}

static void *demo_load(struct demo_sf *sf)
{
	void *p;

	mutex_lock(&sf->presets_mutex);
	p = sf->currsf;
	mutex_unlock(&sf->presets_mutex);
	return p;
}

static void *demo_peek(struct demo_sf *sf)
{
	void *p;

	mutex_lock(&sf->presets_mutex);
	p = sf->currsf;
	sf->open_client = 0;
	mutex_unlock(&sf->presets_mutex);
	return p;
}

static int demo_check(struct demo_sf *sf)
{
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&sf->lock, flags);
	ret = sf->currsf != NULL;
	spin_unlock_irqrestore(&sf->lock, flags);
	return ret;
}

/* written under the spinlock only: the other half of the protocol */
static int demo_close_patch(struct demo_sf *sf)
{
	unsigned long flags;

	spin_lock_irqsave(&sf->lock, flags);
	sf->currsf = NULL;
	spin_unlock_irqrestore(&sf->lock, flags);
	return 0;
}

#if 0
/* compiled out */
static void demo_old_reset(struct demo_sf *sf)
{
	sf->currsf = NULL;
}
#endif

/* An exported register writer: this file calls it with reg_lock held, so other files'
 * callers are expected to hold it too ("caller holds the lock" contract). */
struct demo_wss {
	spinlock_t reg_lock;
	unsigned char image[32];
};

void demo_wss_out(struct demo_wss *chip, unsigned char reg, unsigned char value)
{
	chip->image[reg] = value;
}

static void demo_wss_mute(struct demo_wss *chip)
{
	unsigned long flags;

	spin_lock_irqsave(&chip->reg_lock, flags);
	demo_wss_out(chip, 6, chip->image[6] | 0x80);
	spin_unlock_irqrestore(&chip->reg_lock, flags);
}

static void demo_wss_unmute(struct demo_wss *chip)
{
	unsigned long flags;

	spin_lock_irqsave(&chip->reg_lock, flags);
	chip->image[6] &= ~0x80;
	spin_unlock_irqrestore(&chip->reg_lock, flags);
}

static int demo_wss_get(struct demo_wss *chip)
{
	unsigned long flags;
	int v;

	spin_lock_irqsave(&chip->reg_lock, flags);
	v = chip->image[6];
	chip->image[7] = 0;
	spin_unlock_irqrestore(&chip->reg_lock, flags);
	return v;
}

/* a destructor named `*_delete`: the object is no longer shared */
void demo_wss_delete(struct demo_wss *chip)
{
	chip->image[0] = 0;
}

/* kcontrol .put callbacks run with card->controls_rwsem held for writing and .get with it
 * held for reading: a put that skips the driver mutex cannot race with the other
 * callbacks that take it. */
struct demo_amp {
	struct mutex fw_mutex;
	int fw_type;
};

static int demo_fw_type_get(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_amp *amp = snd_kcontrol_chip(kc);

	mutex_lock(&amp->fw_mutex);
	uc->value.enumerated.item[0] = amp->fw_type;
	mutex_unlock(&amp->fw_mutex);
	return 0;
}

static int demo_fw_type_reset(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_amp *amp = snd_kcontrol_chip(kc);

	mutex_lock(&amp->fw_mutex);
	amp->fw_type = 0;
	mutex_unlock(&amp->fw_mutex);
	return 1;
}

static int demo_fw_type_info(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_amp *amp = snd_kcontrol_chip(kc);

	mutex_lock(&amp->fw_mutex);
	uc->value.enumerated.item[1] = amp->fw_type;
	mutex_unlock(&amp->fw_mutex);
	return 0;
}

static int demo_fw_type_put(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_amp *amp = snd_kcontrol_chip(kc);

	if (amp->fw_type == uc->value.enumerated.item[0])
		return 0;
	amp->fw_type = uc->value.enumerated.item[0];
	return 1;
}

static const struct snd_kcontrol_new demo_amp_ctls[] = {
	{ .get = demo_fw_type_get, .put = demo_fw_type_put, .info = demo_fw_type_info },
	{ .get = demo_fw_type_get, .put = demo_fw_type_reset, .info = demo_fw_type_info },
};
