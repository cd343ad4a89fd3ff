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
