/* A helper of this file that stores the object it is given into another object
 * (the rawmidi device's private data, freed by its private_free) takes it over:
 * a later failure must not free it again. */
struct hs_midi {
	struct snd_rawmidi *rmidi;
	int ports;
};

static void hs_rawmidi_free(struct snd_rawmidi *rmidi)
{
	kfree(rmidi->private_data);
}

static int hs_create_rawmidi(struct hs_midi *m, struct snd_card *card)
{
	struct snd_rawmidi *rmidi;
	int err;

	err = snd_rawmidi_new(card, "hs", 0, 1, 1, &rmidi);
	if (err < 0)
		return err;
	rmidi->private_data = m;
	rmidi->private_free = hs_rawmidi_free;
	m->rmidi = rmidi;
	return 0;
}

int hs_midi_create(struct snd_card *card)
{
	struct hs_midi *m;
	int err;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	err = hs_detect(card);
	if (err < 0)
		goto free_midi;
	err = hs_create_rawmidi(m, card);
	if (err < 0)
		goto free_midi;
	err = hs_create_ports(card);
	if (err < 0)
		goto exit;
	return 0;

free_midi:
	kfree(m);
exit:
	return err;
}

/* A helper that links a new record at the head of the caller's list: the list owns it
 * from then on, and a sample freed on a later failure says nothing about the record. */
static struct zs_font *zs_newfont(struct zs_list *list, int type)
{
	struct zs_font *sf;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL);
	if (sf == NULL)
		return NULL;
	sf->next = list->fonts;
	list->fonts = sf;
	sf->type = type;
	return sf;
}

static int zs_load_patch(struct zs_list *list, long count)
{
	struct zs_font *sf;
	struct zs_sample *smp;

	sf = zs_newfont(list, 1);
	if (sf == NULL)
		return -ENOMEM;
	smp = zs_sample_new(list, sf);
	if (!smp)
		return -ENOMEM;
	if (zs_validate(smp) < 0) {
		zs_sample_delete(list, sf, smp);
		return -EINVAL;
	}
	return 0;
}

/* An object handed back through an out-parameter and then given to an anonymous inode's
 * file, whose release() frees it: a later failure has nothing left to free. */
static int ou_create(struct ou_info *info, struct ou_timer **r_timer)
{
	struct ou_timer *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	t->resolution = info->resolution;
	*r_timer = t;
	return 0;
}

static int ou_ioctl_create(struct file *file, struct ou_info __user *uinfo, struct ou_info *info)
{
	struct ou_timer *t;
	int fd, err;

	err = ou_create(info, &t);
	if (err < 0)
		return err;
	fd = anon_inode_getfd("ou-timer", &ou_fops, t, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ou_free(t);
		return fd;
	}
	info->fd = fd;
	if (copy_to_user(uinfo, info, sizeof(*info)))
		return -EFAULT;
	return 0;
}
