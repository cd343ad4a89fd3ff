/* Functions that return with a lock held on purpose, without saying so in their name. */

struct pg_chip {
	struct mutex gpio_mutex;
	struct mutex lock;
	unsigned int saved;
	unsigned int dir;
	struct work_struct work;
	bool stop;
};

/* save() takes the lock and its partner restore() drops it: callers hold it in between. */
static void pg_save_gpio(struct pg_chip *chip)
{
	mutex_lock(&chip->gpio_mutex);
	chip->saved = chip->dir;
}

static void pg_restore_gpio(struct pg_chip *chip)
{
	chip->dir = chip->saved;
	mutex_unlock(&chip->gpio_mutex);
}

/* Entered with chip->lock held: drops it around the wait and takes it back. */
static void pg_cancel_work(struct pg_chip *chip)
{
	chip->stop = true;
	mutex_unlock(&chip->lock);
	cancel_work_sync(&chip->work);
	mutex_lock(&chip->lock);
}

/* Calls the helper above with the caller's lock held: the lock it "takes" is the caller's. */
static void pg_cancel_all(struct pg_chip *chip)
{
	pg_cancel_work(chip);
}

/* A helper of this file drops the caller's lock and takes it again around a sync cancel:
 * the caller's own unlock still releases it. */
static void fx_cancel_plug(struct fx_jack *jack, struct work_struct *work)
{
	jack->stop = true;
	mutex_unlock(&jack->lock);
	cancel_work_sync(work);
	mutex_lock(&jack->lock);
}

void fx_jack_deinit(struct fx_jack *jack)
{
	mutex_lock(&jack->lock);
	fx_cancel_plug(jack, &jack->plug_work);
	cancel_work_sync(&jack->detect_work);
	mutex_unlock(&jack->lock);
	kfree(jack);
}

/* Returns with the lock held on success (0), released on failure: a lock helper. */
static int fx_get_locked(struct fx_jack *jack)
{
	int ret;

	mutex_lock(&jack->lock);
	ret = fx_jack_check(jack);
	if (ret < 0) {
		mutex_unlock(&jack->lock);
		return ret;
	}
	return 0;
}
