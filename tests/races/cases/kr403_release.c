// Closing a file must work after a disconnect: .release needs no shutdown test.
struct demo_card {
	struct mutex open_mutex;
	int shutdown;
	int users;
};

static int demo_open(struct inode *inode, struct file *file)
{
	struct demo_card *card = file->private_data;
	int err = 0;

	mutex_lock(&card->open_mutex);
	if (card->shutdown)
		err = -ENODEV;
	else
		card->users++;
	mutex_unlock(&card->open_mutex);
	return err;
}

static int demo_release(struct inode *inode, struct file *file)
{
	struct demo_card *card = file->private_data;

	mutex_lock(&card->open_mutex);
	card->users--;
	mutex_unlock(&card->open_mutex);
	return 0;
}

static const struct file_operations demo_fops = {
	.open = demo_open,
	.release = demo_release,
};
