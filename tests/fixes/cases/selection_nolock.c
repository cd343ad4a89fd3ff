// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: a struct with no lock yet; selection refactoring adds one (written for kernlint). */
#include <linux/slab.h>

struct bell {
	int level;
	int peak;
};

static struct bell *bell_create(void)
{
	struct bell *b;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return NULL;
	b->level = 0;
	return b;
}

static void bell_update(struct bell *b, int v)
{
	b->level = v;
	if (v > b->peak)
		b->peak = v;
}
