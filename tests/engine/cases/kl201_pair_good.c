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
