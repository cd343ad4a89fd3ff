// Check-then-act on a field guarded by a mutex.
struct demo_dev {
	struct mutex lock;
	int state;
	void *buf;
};

static int demo_start(struct demo_dev *d)
{
	mutex_lock(&d->lock);
	if (d->state == 0) /* rel: g1 */
		d->state = 1;
	mutex_unlock(&d->lock);
	return 0;
}

static int demo_stop(struct demo_dev *d)
{
	mutex_lock(&d->lock);
	if (d->state == 1) /* rel: g2 */
		d->state = 0;
	mutex_unlock(&d->lock);
	return 0;
}

/* BAD: test and set without the lock */
static int demo_try_start(struct demo_dev *d)
{
	if (d->state != 0) /* expect: KR402 rel=act,g1 */
		return -EBUSY;
	d->state = 2; /* rel: act */
	return 0;
}

/* GOOD: the same under the lock */
static int demo_try_start_locked(struct demo_dev *d)
{
	int err = 0;

	mutex_lock(&d->lock);
	if (d->state != 0)
		err = -EBUSY;
	else
		d->state = 2;
	mutex_unlock(&d->lock);
	return err;
}

/* GOOD: tested without the lock, but nothing is written after the test */
static int demo_busy(struct demo_dev *d)
{
	if (d->state)
		return 1;
	return 0;
}
