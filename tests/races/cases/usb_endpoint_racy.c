// An ALSA USB-style endpoint (our own code): parameters are checked and then applied
// with no lock and no test of `disconnected`; a disconnect can run in between.
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
	if (ep->state != EP_STOPPED) /* expect: KR402 rel=apply */
		return -EBUSY;
	ep->cur_rate = rate;
	ep->cur_period = period;
	ep->state = EP_READY; /* rel: apply */
	return 0;
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
