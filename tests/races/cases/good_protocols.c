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

/* Cells taken from the driver's own pool belong to the caller until queued. */
struct demo_cell {
	struct demo_cell *next;
	int ev;
};

struct demo_pool {
	spinlock_t lock;
	struct demo_cell *free;
};

static int demo_cell_alloc(struct demo_pool *pool, struct demo_cell **cellp)
{
	unsigned long flags;
	struct demo_cell *c;

	spin_lock_irqsave(&pool->lock, flags);
	c = pool->free;
	if (c) {
		pool->free = c->next;
		c->next = NULL;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	*cellp = c;
	return c ? 0 : -ENOMEM;
}

static void demo_cell_free(struct demo_pool *pool, struct demo_cell *c)
{
	unsigned long flags;

	spin_lock_irqsave(&pool->lock, flags);
	c->next = pool->free;
	pool->free = c;
	spin_unlock_irqrestore(&pool->lock, flags);
}

static void demo_pool_steal(struct demo_pool *pool, struct demo_cell *c)
{
	spin_lock(&pool->lock);
	pool->free = c->next;
	spin_unlock(&pool->lock);
}

static int demo_event_dup(struct demo_pool *pool, int n)
{
	struct demo_cell *tmp, *tail = NULL;

	while (n-- > 0) {
		if (demo_cell_alloc(pool, &tmp) < 0)
			return -ENOMEM;
		if (tail)
			tail->next = tmp;
		tail = tmp;
	}
	return 0;
}

/* Mutually recursive helpers only ever entered with the lock held (jack detection that
 * retries a measurement from inside the measurement). */
struct demo_jack {
	struct mutex lock;
	int detecting;
};

static void demo_start_acc_id(struct demo_jack *j, int retry);

static int demo_do_id(struct demo_jack *j, int retry)
{
	if (retry)
		demo_start_acc_id(j, 0);
	j->detecting = 1;
	return 0;
}

static void demo_start_acc_id(struct demo_jack *j, int retry)
{
	demo_do_id(j, retry);
}

static irqreturn_t demo_hpdet_irq(int irq, void *data)
{
	struct demo_jack *j = data;

	mutex_lock(&j->lock);
	demo_do_id(j, 1);
	mutex_unlock(&j->lock);
	return IRQ_HANDLED;
}

static void demo_hpdet_work(struct work_struct *work)
{
	struct demo_jack *j = container_of(work, struct demo_jack, work);

	mutex_lock(&j->lock);
	demo_start_acc_id(j, 1);
	j->detecting = 0;
	mutex_unlock(&j->lock);
}

static void demo_micd_work(struct work_struct *work)
{
	struct demo_jack *j = container_of(work, struct demo_jack, work);

	mutex_lock(&j->lock);
	j->detecting = 2;
	mutex_unlock(&j->lock);
}

static void demo_micd_timeout(struct work_struct *work)
{
	struct demo_jack *j = container_of(work, struct demo_jack, work);

	mutex_lock(&j->lock);
	j->detecting = 3;
	mutex_unlock(&j->lock);
}

static int demo_jack_probe(struct demo_jack *j)
{
	INIT_WORK(&j->hpdet_work, demo_hpdet_work);
	INIT_WORK(&j->micd_work, demo_micd_work);
	INIT_WORK(&j->micd_timeout, demo_micd_timeout);
	return request_threaded_irq(1, NULL, demo_hpdet_irq, 0, "demo", j);
}
