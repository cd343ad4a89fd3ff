/* Hand-offs inside loops the walk cannot count: it never trusts the path that skips them. */

struct lp_slot { void *buf; };
struct lp_dev { struct lp_slot slots[8]; int nslots; int (*check)(struct lp_dev *d); };

/* The buffer goes into every slot of an inner loop; when that loop runs zero times the buffer
 * would be left over, but the walk cannot tell whether it ran, so the return after it is
 * not reported. */
static int lp_fill(struct lp_dev *d, int rounds)
{
	int r, i, err;

	for (r = 0; r < rounds; r++) {
		void *buf = kzalloc(64, GFP_KERNEL);

		if (!buf)
			return -ENOMEM;
		for (i = 0; i < d->nslots; i++)
			d->slots[i].buf = buf;
		err = d->check(d);
		if (err)
			return err;
	}
	return 0;
}
