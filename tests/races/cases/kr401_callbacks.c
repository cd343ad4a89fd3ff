// Callbacks recognised through tables, macros and in-file calls through pointers.
struct demo_mixer {
	struct mutex data_mutex;
	int vol_updated;
	int vol;
};

struct demo_notification {
	unsigned int mask;
	void (*func)(struct demo_mixer *m);
};

static int demo_vol_get(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_mixer *m = snd_kcontrol_chip(kc);

	mutex_lock(&m->data_mutex);
	if (m->vol_updated) { /* rel: g1 */
		m->vol = demo_read_vol(m);
		m->vol_updated = 0;
	}
	uc->value.integer.value[0] = m->vol;
	mutex_unlock(&m->data_mutex);
	return 0;
}

static int demo_vol_put(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_mixer *m = snd_kcontrol_chip(kc);

	mutex_lock(&m->data_mutex);
	m->vol = uc->value.integer.value[0];
	m->vol_updated = 0;
	mutex_unlock(&m->data_mutex);
	return 1;
}

/* stored by a macro: recognised by its `struct snd_kcontrol *` first parameter */
static int demo_vol_reset(struct snd_kcontrol *kc, struct snd_ctl_elem_value *uc)
{
	struct demo_mixer *m = snd_kcontrol_chip(kc);

	mutex_lock(&m->data_mutex);
	m->vol_updated = 1;
	mutex_unlock(&m->data_mutex);
	return 1;
}

static const struct snd_kcontrol_new demo_ctls[] = {
	DEMO_SINGLE_EXT("Volume", demo_vol_get, demo_vol_put),
	DEMO_SINGLE_EXT("Reset", demo_vol_get, demo_vol_reset),
};

/* BAD: a notification handler, called through the table below from the URB completion
 * handler without the mutex; a notification can be lost against the test-and-clear */
static void demo_notify_volume(struct demo_mixer *m)
{
	m->vol_updated = 1; /* expect: KR401 */
}

static const struct demo_notification demo_notifications[] = {
	{ 0x01, demo_notify_volume },
	{ 0, NULL },
};

static void demo_notify(struct urb *urb)
{
	struct demo_mixer *m = urb->context;
	const struct demo_notification *n = demo_notifications;

	for (; n->mask; n++)
		n->func(m);
	usb_submit_urb(urb, GFP_ATOMIC);
}

static int demo_mixer_start(struct demo_mixer *m, struct urb *urb, struct usb_device *dev)
{
	usb_fill_int_urb(urb, dev, 0, NULL, 0, demo_notify, m, 1);
	return usb_submit_urb(urb, GFP_KERNEL);
}

/* GOOD: a packet formatter taking the URB first is not a completion handler: it is
 * stored in an ops table called from another file */
struct demo_out_ops {
	void (*output_packet)(struct urb *urb, unsigned char p0, unsigned char p1);
};

struct demo_ep {
	spinlock_t buffer_lock;
	int len;
};

static void demo_output_packet(struct urb *urb, unsigned char p0, unsigned char p1)
{
	struct demo_ep *ep = urb->context;

	ep->len += 2;
}

static const struct demo_out_ops demo_out = {
	.output_packet = demo_output_packet,
};

static void demo_ep_a(struct demo_ep *ep)
{
	spin_lock(&ep->buffer_lock);
	ep->len = 0;
	spin_unlock(&ep->buffer_lock);
}

static void demo_ep_b(struct demo_ep *ep)
{
	spin_lock(&ep->buffer_lock);
	ep->len++;
	spin_unlock(&ep->buffer_lock);
}

static void demo_ep_c(struct demo_ep *ep)
{
	spin_lock(&ep->buffer_lock);
	ep->len--;
	spin_unlock(&ep->buffer_lock);
}
