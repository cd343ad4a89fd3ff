// Lockset inference: demo_chip.rate and .running are guarded by chip->lock.
#include <linux/spinlock.h>

struct demo_chip {
	spinlock_t lock;
	struct mutex ctl_mutex;
	atomic_t users;
	struct list_head streams;
	unsigned int rate;
	int running;
	int period;
	int count;
};

static void demo_update_hw(struct demo_chip *chip);

/* helper only ever called with chip->lock held: its accesses count as guarded */
static void demo_apply_rate(struct demo_chip *chip, unsigned int rate)
{
	chip->rate = rate;
	chip->running = 1;
}

static int demo_trigger(struct demo_chip *chip, int cmd)
{
	unsigned long flags;

	spin_lock_irqsave(&chip->lock, flags); /* rel: t */
	if (cmd)
		demo_apply_rate(chip, 48000);
	else
		chip->running = 0; /* rel: trig */
	spin_unlock_irqrestore(&chip->lock, flags);
	return 0;
}

static irqreturn_t demo_irq(int irq, void *dev)
{
	struct demo_chip *c = dev;

	spin_lock(&c->lock);
	if (c->running) /* rel: irq */
		c->count++;
	spin_unlock(&c->lock);
	return IRQ_HANDLED;
}

static void demo_asserted(struct demo_chip *chip)
{
	lockdep_assert_held(&chip->lock);
	chip->running = 2;
	chip->count = 0;
}

static int demo_scoped(struct demo_chip *chip)
{
	scoped_guard(spinlock_irqsave, &chip->lock) {
		chip->running = 3;
	}
	guard(spinlock)(&chip->lock);
	return chip->rate;
}

static int demo_pointer(struct demo_chip *chip)
{
	int n;

	spin_lock(&chip->lock);
	n = chip->count;
	spin_unlock(&chip->lock);
	return n;
}

/* call with params_lock held (the chip lock) */
/* NOTE: a second comment between the precondition and the function */
static void demo_commented(struct demo_chip *chip)
{
	chip->running = 7;
}

/* BAD: written without the lock */
static int demo_stop_stream(struct demo_chip *chip)
{
	chip->running = 0; /* expect: KR401 rel=trig,irq */
	chip->count++; /* expect: KR401 */
	return 0;
}

/* GOOD: atomic_t field, list head passed to its API, READ_ONCE/WRITE_ONCE */
static void demo_misc(struct demo_chip *chip)
{
	atomic_inc(&chip->users);
	chip->users.counter = 0;
	WRITE_ONCE(chip->running, 5);
	if (READ_ONCE(chip->running))
		list_del_init(&chip->streams);
}

/* GOOD: reads without the lock are not reported */
static int demo_get_rate(struct demo_chip *chip)
{
	return chip->running ? chip->rate : 0;
}

/* GOOD: probe / remove: the object is not published yet / any more */
static int demo_probe(struct demo_chip *chip)
{
	spin_lock_init(&chip->lock);
	chip->running = 0;
	chip->count = 0;
	return 0;
}

static void demo_remove(struct demo_chip *chip)
{
	chip->running = 0;
	demo_reset_counters(chip);
}

/* helper only called from remove: teardown too */
static void demo_reset_counters(struct demo_chip *chip)
{
	chip->count = 0;
}

/* GOOD: a fresh allocation is private until published */
static struct demo_chip *demo_clone(struct demo_chip *old)
{
	struct demo_chip *n = kzalloc(sizeof(*n), GFP_KERNEL);

	if (!n)
		return NULL;
	n->running = 0;
	n->count = 0;
	return n;
}

/* GOOD: period is never accessed under a lock */
static void demo_set_period(struct demo_chip *chip, int p)
{
	chip->period = p;
}

static void demo_use(struct demo_chip *chip)
{
	mutex_lock(&chip->ctl_mutex);
	demo_update_hw(chip);
	mutex_unlock(&chip->ctl_mutex);
}
