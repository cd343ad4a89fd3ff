// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: fields guarded by a spinlock elsewhere; selection wraps them (written for kernlint). */
#include <linux/spinlock.h>

struct gong {
	spinlock_t lock;
	unsigned int head;
	unsigned int tail;
};

static void gong_push(struct gong *g)
{
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	g->head++;
	spin_unlock_irqrestore(&g->lock, flags);
}

static void gong_pop(struct gong *g)
{
	unsigned long flags;

	spin_lock_irqsave(&g->lock, flags);
	g->tail++;
	spin_unlock_irqrestore(&g->lock, flags);
}

static int gong_reset(struct gong *g, int hard)
{
	unsigned long flags;

	if (!hard)
		return 0;
	spin_lock_irqsave(&g->lock, flags);
	g->head = 0;
	g->tail = 0;
	spin_unlock_irqrestore(&g->lock, flags);
	return 1;
}
