// The same endpoint, fixed: the chip mutex is held around the check and the update,
// and `disconnected` is tested after acquiring it.
struct demo_chip {
	struct mutex mutex;
};

struct demo_endpoint {
	struct demo_chip *chip;
	int state;
	int disconnected;
	unsigned int cur_rate;
	unsigned int cur_period;
	void *urbs;
};

#define EP_STOPPED 0
#define EP_READY 1
#define EP_RUNNING 2

int demo_endpoint_set_params(struct demo_endpoint *ep, unsigned int rate, unsigned int period)
{
	int err = 0;

	mutex_lock(&ep->chip->mutex);
	if (ep->disconnected) {
		err = -ENODEV;
		goto unlock;
	}
	if (ep->state != EP_STOPPED) {
		err = -EBUSY;
		goto unlock;
	}
	ep->cur_rate = rate;
	ep->cur_period = period;
	ep->state = EP_READY;
unlock:
	mutex_unlock(&ep->chip->mutex);
	return err;
}

int demo_endpoint_start(struct demo_endpoint *ep)
{
	struct demo_chip *chip = ep->chip;

	mutex_lock(&chip->mutex);
	if (ep->disconnected || ep->state != EP_READY) {
		mutex_unlock(&chip->mutex);
		return -ENODEV;
	}
	ep->state = EP_RUNNING;
	mutex_unlock(&chip->mutex);
	return 0;
}

int demo_endpoint_stop(struct demo_endpoint *ep)
{
	mutex_lock(&ep->chip->mutex);
	if (ep->state == EP_RUNNING)
		ep->state = EP_READY;
	mutex_unlock(&ep->chip->mutex);
	return 0;
}

void demo_endpoint_disconnect(struct demo_endpoint *ep)
{
	mutex_lock(&ep->chip->mutex);
	ep->disconnected = 1;
	ep->state = EP_STOPPED;
	kfree(ep->urbs);
	ep->urbs = NULL;
	mutex_unlock(&ep->chip->mutex);
}
