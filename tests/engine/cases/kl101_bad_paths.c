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

struct fx_fifo {
	struct fx_pool *pool;
	int cells;
};

/* Deleting the pool through &f->pool frees the pool (and clears the pointer), not f. */
static struct fx_fifo *fx_fifo_new(int size)
{
	struct fx_fifo *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return NULL;
	f->pool = fx_pool_new(size);
	if (!f->pool) {
		kfree(f);
		return NULL;
	}
	if (fx_pool_init(f->pool) < 0) {
		fx_pool_delete(&f->pool);
		return NULL;
	}
	return f;
}

/* Setting the driver override configures the child; it does not hand it to anyone, so the
 * failed add must still put it. */
static int fx_add_secondary(struct fx_priv *priv)
{
	struct platform_device *sec;
	int ret;

	sec = platform_device_alloc("fx-sec", -1);
	if (!sec)
		return -ENOMEM;
	ret = device_set_driver_override(&sec->dev, "fx-i2s");
	if (ret) {
		platform_device_put(sec);
		return ret;
	}
	ret = platform_device_add(sec);
	if (ret < 0)
		return ret;
	priv->sec = sec;
	return 0;
}

/* One firmware image per loop pass, kept in the chip at the bottom of the pass. The load
 * failing in the middle of a pass leaves that pass's image behind: the hand-off of the pass
 * before does not cover it. */
struct fw_chip {
	struct device *dev;
	const struct firmware *images[4];
	int (*load)(struct fw_chip *chip, int idx, const struct firmware *fw);
};

static int fw_chip_load_all(struct fw_chip *chip, const char *const *names)
{
	int i, err;

	for (i = 0; i < 4; i++) {
		const struct firmware *fw;

		if (request_firmware(&fw, names[i], chip->dev))
			return -ENOENT;
		err = chip->load(chip, i, fw);
		if (err < 0)
			return err;
		chip->images[i] = fw;
	}
	return 0;
}

/* The message array is handed out slot by slot at the bottom of each pass; the second
 * allocation failing in the first pass returns with the array still only ours, while the
 * first one's failure path frees it. */
struct ml_msg { void *tx; void *rx; struct list_head list; };
struct ml_ipc { struct ml_msg *msg; struct list_head empty; };

static int ml_init(struct ml_ipc *ipc, int n)
{
	int i;

	ipc->msg = kcalloc(n, sizeof(*ipc->msg), GFP_KERNEL);
	if (!ipc->msg)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ipc->msg[i].tx = kzalloc(64, GFP_KERNEL);
		if (!ipc->msg[i].tx)
			goto err;
		ipc->msg[i].rx = kzalloc(64, GFP_KERNEL);
		if (!ipc->msg[i].rx)
			return -ENOMEM;
		list_add(&ipc->msg[i].list, &ipc->empty);
	}
	return 0;
err:
	kfree(ipc->msg);
	return -ENOMEM;
}

/* Module init: the platform device lives in a file-scope variable, and when adding it fails
 * the init returns without putting it. The module's exit never runs after a failed init. */
static struct platform_device *fx_snd_device;

static int __init fx_board_init(void)
{
	int ret;

	fx_snd_device = platform_device_alloc("soc-audio", -1);
	if (!fx_snd_device)
		return -ENOMEM;
	ret = platform_device_add(fx_snd_device);
	if (ret)
		goto err_put;
	ret = fx_board_probe_gpios();
	if (ret)
		goto err_del;
	return 0;

err_del:
	platform_device_del(fx_snd_device);
err_put:
	return ret;
}

/* A request built on the stack carries the reply buffer; the failing send leaves through a
 * path that does not free it. */
struct rq_msg { int id; void *data; int size; };

static int rq_enum(struct fw_chip *chip, int n)
{
	struct rq_msg request;
	void *reply;
	int err;

	reply = kmalloc(64, GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	request.id = n;
	request.data = reply;
	request.size = 64;
	err = rq_send(chip, &request);
	if (err < 0)
		return err;
	kfree(reply);
	return 0;
}

/* A debugfs write: the empty-input shortcut returns the byte count like the normal end of
 * the function does, but without freeing the copy. */
static ssize_t dw_write(struct fw_chip *chip, const char *buf, size_t count)
{
	char *string;
	ssize_t ret;

	string = kzalloc(count + 1, GFP_KERNEL);
	if (!string)
		return -ENOMEM;
	memcpy(string, buf, count);
	if (!string[0]) {
		ret = count;
		return ret;
	}
	ret = dw_parse(chip, string);
	if (ret >= 0)
		ret = count;
	kfree(string);
	return ret;
}

/* The parsed array comes back through the out-parameter; the size check returns without
 * the kfree that the exit label runs. */
static ssize_t pa_points_write(struct fw_chip *chip, const char __user *from, size_t count)
{
	int *array;
	int ret;

	ret = parse_int_array_user(from, count, &array);
	if (ret < 0)
		return ret;
	if (array[0] > 8)
		return -EINVAL;
	ret = pa_apply(chip, &array[1], array[0]);
	if (!ret)
		ret = count;
	kfree(array);
	return ret;
}

/* Clearing the only pointer to a block still held does not free it. */
static int lo_new(struct lo_chip *chip, struct lo_sub *sub)
{
	int ret;

	sub->area = kzalloc(4096, GFP_KERNEL);
	if (!sub->area)
		return -ENOMEM;
	ret = lo_setup(chip);
	if (ret) {
		sub->area = NULL;
		return ret;
	}
	sub->bytes = 4096;
	return 0;
}

/* A failed allocation returns err, still 0 from the last success: a failure all the same,
 * and the control made before it is still ours. */
static int tm_mixer(struct tm_chip *chip, struct snd_card *card)
{
	struct tm_uctl *uctl;
	int err = 0;

	uctl = kzalloc(sizeof(*uctl), GFP_KERNEL);
	if (!uctl)
		return -ENOMEM;
	err = tm_ac97_init(chip, uctl);
	if (err < 0)
		goto out;
	chip->ctl_vol = snd_ctl_new1(&tm_vol_control, chip);
	if (!chip->ctl_vol)
		return err;
	err = snd_ctl_add(card, chip->ctl_vol);
 out:
	kfree(uctl);
	return err;
}
