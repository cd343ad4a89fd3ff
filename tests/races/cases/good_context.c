// Calling-context shapes found on sound/ that must stay silent: the field `level` is
// guarded by `mixer_mutex` in three kcontrol callbacks, and written without it only where
// the context makes it safe (or unknown).
struct demo_card;

struct demo_ctl {
	struct mutex mixer_mutex;
	spinlock_t lock;
	int level;
	int status;
	int pending;
};

struct demo_hw_ops {
	int (*position_check)(struct demo_ctl *c, int pos);
	void (*reset)(struct demo_ctl *c);
};

static int demo_level_get(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_ctl *c = snd_kcontrol_chip(kc);

	mutex_lock(&c->mixer_mutex);
	uc->value.integer.value[0] = c->level;
	mutex_unlock(&c->mixer_mutex);
	return 0;
}

static int demo_level_put(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_ctl *c = snd_kcontrol_chip(kc);

	mutex_lock(&c->mixer_mutex);
	c->level = uc->value.integer.value[0];
	c->status = 0;
	c->pending = 1;
	mutex_unlock(&c->mixer_mutex);
	return 1;
}

static int demo_level_info(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_ctl *c = snd_kcontrol_chip(kc);

	mutex_lock(&c->mixer_mutex);
	uc->value.integer.value[1] = c->level;
	uc->value.integer.value[2] = c->status;
	uc->value.integer.value[3] = c->pending;
	mutex_unlock(&c->mixer_mutex);
	return 0;
}

static int demo_status_work_locked(struct demo_ctl *c)
{
	mutex_lock(&c->mixer_mutex);
	c->status = 2;
	c->pending = 0;
	mutex_unlock(&c->mixer_mutex);
	return 0;
}

static const struct snd_kcontrol_new demo_level_ctl = {
	.get = demo_level_get,
	.put = demo_level_put,
	.info = demo_level_info,
};

/* control creation at probe time; no init word in the name, but it calls snd_ctl_add() */
static int demo_add_mic_controls(struct demo_ctl *c, struct snd_card *card)
{
	c->level = 0;
	return snd_ctl_add(card, snd_ctl_new1(&demo_level_ctl, c));
}

/* `new1`: the trailing digit is not part of the word `new` */
static struct demo_ctl *demo_ctl_new1(struct demo_ctl *c)
{
	c->level = 1;
	return c;
}

/* system sleep: the streams are stopped and user space is frozen */
static int demo_suspend(struct demo_ctl *c)
{
	c->level = 0;
	return 0;
}

/* stored in a driver-private ops table that another file calls, maybe with the lock */
static int demo_position_check(struct demo_ctl *c, int pos)
{
	c->level = pos;
	c->status = pos;
	return 0;
}

/* stored in a table and called in this file, always with the lock held */
static void demo_reset(struct demo_ctl *c)
{
	c->pending = 0;
}

static const struct demo_hw_ops demo_hw = {
	.position_check = demo_position_check,
	.reset = demo_reset,
};

static void demo_reset_all(struct demo_ctl *c, const struct demo_hw_ops *ops)
{
	mutex_lock(&c->mixer_mutex);
	ops->reset(c);
	mutex_unlock(&c->mixer_mutex);
}

/* passed to an API we do not model: its caller's context is unknown */
static void demo_deferred(struct demo_ctl *c)
{
	c->status = 3;
}

static void demo_defer(struct demo_ctl *c)
{
	demo_queue_callback(c, demo_deferred);
}

/* PCM .trigger: runs under the stream lock, serialised with the stream's other callbacks
 * by the PCM core; the mutex cannot be taken there */
static int demo_trigger(struct snd_pcm_substream *ss, int cmd)
{
	struct demo_ctl *c = snd_pcm_substream_chip(ss);

	c->status = cmd;
	demo_trigger_helper(c);
	return 0;
}

/* only called from .trigger */
static void demo_trigger_helper(struct demo_ctl *c)
{
	c->status++;
}

static const struct snd_pcm_ops demo_pcm_ops = {
	.trigger = demo_trigger,
};
