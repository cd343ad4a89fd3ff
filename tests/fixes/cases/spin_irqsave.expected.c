// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: spin_lock_irqsave with a flags variable (written for kernlint). */
#include <linux/spinlock.h>

struct chirp {
	spinlock_t lock;
	unsigned int pos;
	bool running;
};

static int chirp_trigger(struct chirp *c, int cmd)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	switch (cmd) {
	case 1:
		c->running = true;
		break;
	case 0:
		c->running = false;
		break;
	default:
		spin_unlock_irqrestore(&c->lock, flags);
		return -EINVAL;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return 0;
}
