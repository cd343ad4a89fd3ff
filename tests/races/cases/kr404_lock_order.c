// Lock order: ctl_lock -> reg_lock in one place, reverse in another.
struct demo_card {
	struct mutex ctl_lock;
	struct mutex reg_lock;
	spinlock_t a_lock;
	spinlock_t b_lock;
	int v;
};

static int demo_a(struct demo_card *card)
{
	mutex_lock(&card->ctl_lock);
	mutex_lock(&card->reg_lock); /* rel: first */
	card->v = 1;
	mutex_unlock(&card->reg_lock);
	mutex_unlock(&card->ctl_lock);
	return 0;
}

/* BAD: opposite order (another variable name, same struct type) */
static int demo_b(struct demo_card *c)
{
	mutex_lock(&c->reg_lock);
	mutex_lock(&c->ctl_lock); /* expect: KR404 rel=first */
	c->v = 2;
	mutex_unlock(&c->ctl_lock);
	mutex_unlock(&c->reg_lock);
	return 0;
}

static void demo_take_b(struct demo_card *card)
{
	spin_lock(&card->b_lock); /* rel: inner */
	card->hits++;
	spin_unlock(&card->b_lock);
}

static void demo_c(struct demo_card *card)
{
	spin_lock(&card->a_lock);
	demo_take_b(card); /* rel: call */
	spin_unlock(&card->a_lock);
}

/* BAD: b then a, where a->b is taken through a helper */
static void demo_d(struct demo_card *card)
{
	spin_lock(&card->b_lock);
	spin_lock(&card->a_lock); /* expect: KR404 rel=inner */
	spin_unlock(&card->a_lock);
	spin_unlock(&card->b_lock);
}

/* GOOD: trylock in the reverse order cannot deadlock; two instances of one lock field */
static void demo_e(struct demo_card *card, struct demo_card *other)
{
	mutex_lock(&card->reg_lock);
	if (mutex_trylock(&card->ctl_lock))
		mutex_unlock(&card->ctl_lock);
	mutex_unlock(&card->reg_lock);
	mutex_lock(&card->reg_lock);
	mutex_lock_nested(&other->reg_lock, 1);
	mutex_unlock(&other->reg_lock);
	mutex_unlock(&card->reg_lock);
}
