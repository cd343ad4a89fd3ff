/* Leaks that sit beside code which hands the object off later on, or registers its undo. */

struct fx_block {
	char *label;
	struct fx_block *prev, *next;
	unsigned int start;
};

struct fx_pool {
	struct fx_block *first;
};

/* The block is linked into the pool inside the loop further down; the failed label copy
 * returns before that loop is ever reached, so the block is simply lost. */
static struct fx_block *fx_block_insert(struct fx_pool *pool, const struct fx_block *tmpl,
					const char *label)
{
	struct fx_block *nb, *pos;

	nb = kmalloc(sizeof(*nb), GFP_KERNEL);
	if (!nb)
		return NULL;
	*nb = *tmpl;
	nb->label = kstrdup(label, GFP_KERNEL);
	if (!nb->label)
		return NULL;
	for (pos = pool->first; pos; pos = pos->next) {
		if (pos->start > nb->start) {
			nb->next = pos;
			nb->prev = pos->prev;
			pos->prev = nb;
			return nb;
		}
	}
	nb->next = NULL;
	pool->first = nb;
	return nb;
}

/* devm_add_action() (unlike devm_add_action_or_reset()) does not run the action when it
 * fails: the child device registered just before stays registered. */
static int fx_add_child(struct device *dev, const char *name)
{
	struct platform_device *child;
	int ret;

	child = platform_device_register_data(dev, name, 0, NULL, 0);
	if (IS_ERR(child))
		return PTR_ERR(child);
	ret = devm_add_action(dev, fx_child_unregister, child);
	if (ret < 0)
		return ret;
	return 0;
}
