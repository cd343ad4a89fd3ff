// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: the four lock shapes that fool pattern matchers, and the idioms. */
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/cleanup.h>

struct fx_chip {
	struct mutex lock;
	spinlock_t reg_lock;
	rwlock_t table_lock;
	bool shutdown;
	int rate;
	int busy;
};

/* 1. The lock is taken only when a flag says so, and released under the same flag. */
static int fx_update(struct fx_chip *chip, int rate, bool locked)
{
	if (!locked)
		mutex_lock(&chip->lock);
	if (rate < 0) {
		if (!locked)
			mutex_unlock(&chip->lock);
		return -EINVAL;
	}
	chip->rate = rate;
	if (!locked)
		mutex_unlock(&chip->lock);
	return 0;
}

/* 2. Entered with the lock held: it drops it around a sleep and takes it again. */
static int fx_wait_idle_locked(struct fx_chip *chip)
{
	while (chip->busy) {
		mutex_unlock(&chip->lock);
		msleep(1);
		mutex_lock(&chip->lock);
		if (chip->shutdown)
			return -ENODEV;
	}
	return 0;
}

static int fx_must_hold(struct fx_chip *chip)
	__must_hold(&chip->lock)
{
	lockdep_assert_held(&chip->lock);
	if (chip->shutdown)
		return -ENODEV;
	chip->busy = 1;
	return 0;
}

/* 3. Lock and unlock under the same #ifdef. */
static int fx_debug_dump(struct fx_chip *chip)
{
#ifdef CONFIG_FX_DEBUG
	spin_lock(&chip->reg_lock);
#endif
	if (chip->shutdown) {
#ifdef CONFIG_FX_DEBUG
		spin_unlock(&chip->reg_lock);
#endif
		return -ENODEV;
	}
	fx_dump(chip);
#ifdef CONFIG_FX_DEBUG
	spin_unlock(&chip->reg_lock);
#endif
	return 0;
}

/* 4. guard() and scoped_guard() release at scope exit. */
static int fx_guarded(struct fx_chip *chip, int rate)
{
	guard(mutex)(&chip->lock);
	if (chip->shutdown)
		return -ENODEV;
	chip->rate = rate;
	return 0;
}

static int fx_scoped(struct fx_chip *chip)
{
	scoped_guard(spinlock_irqsave, &chip->reg_lock) {
		if (chip->busy)
			return -EBUSY;
		chip->busy = 1;
	}
	return 0;
}

/* A lock wrapper returns with the lock held on every path. */
static void fx_lock(struct fx_chip *chip)
{
	mutex_lock(&chip->lock);
}

/* Conditional acquisitions: not held when they fail. */
static int fx_try(struct fx_chip *chip)
{
	if (!mutex_trylock(&chip->lock))
		return -EBUSY;
	if (chip->shutdown) {
		mutex_unlock(&chip->lock);
		return -ENODEV;
	}
	mutex_unlock(&chip->lock);
	return 0;
}

static int fx_interruptible(struct fx_chip *chip)
{
	int err;

	err = mutex_lock_interruptible(&chip->lock);
	if (err)
		return err;
	chip->busy = 0;
	mutex_unlock(&chip->lock);
	return 0;
}

/* Read locks may nest. */
static int fx_lookup(struct fx_chip *chip)
{
	read_lock(&chip->table_lock);
	read_lock(&chip->table_lock);
	read_unlock(&chip->table_lock);
	read_unlock(&chip->table_lock);
	return 0;
}

/* Locks of different objects in one loop are not a double lock. */
static void fx_lock_all(struct fx_chip **chips, int n)
{
	struct fx_chip *c;
	int i;

	for (i = 0; i < n; i++) {
		c = chips[i];
		spin_lock(&c->reg_lock);
	}
}

/* Returns 0 with the lock held for the caller, releases it only on failure. */
static int fx_check_ready(struct fx_chip *chip)
{
	mutex_lock(&chip->lock);
	if (!chip->ready) {
		mutex_unlock(&chip->lock);
		return -EAGAIN;
	}
	return 0;
}

/* A lock helper that hands the saved flags back to its caller, who unlocks with them. */
static unsigned long fx_stream_lock_irqsave(struct fx_stream *s)
{
	unsigned long flags = 0;

	if (s->nonatomic)
		mutex_lock(&s->mutex);
	else
		spin_lock_irqsave(&s->lock, flags);
	return flags;
}
