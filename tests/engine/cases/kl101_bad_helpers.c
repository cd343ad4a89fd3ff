// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: file-local allocators and releasers, and an unknown API pair. */
#include <linux/slab.h>

struct fx_ring {
	void *buf;
	int size;
};

static struct fx_ring *fx_ring_alloc(int size)
{
	struct fx_ring *ring;

	ring = kzalloc(sizeof(*ring), GFP_KERNEL);
	if (!ring)
		return NULL;
	ring->size = size;
	return ring;
}

static void fx_ring_free(struct fx_ring *ring)
{
	kfree(ring);
}

static int fx_start(struct fx_dev *dev)
{
	struct fx_ring *ring;
	int err;

	ring = fx_ring_alloc(256);
	if (!ring)
		return -ENOMEM;
	err = fx_hw_init(dev);
	if (err) {
		fx_ring_free(ring);
		return err;
	}
	err = fx_hw_start(dev, ring);
	if (err)
		return err;
	fx_ring_free(ring);
	return 0;
}

static int fx_attach(struct fx_dev *dev)
{
	struct fx_session *s;
	int err;

	s = fx_session_create(dev);
	if (IS_ERR(s))
		return PTR_ERR(s);
	err = fx_session_check(s);
	if (err) {
		fx_session_destroy(s);
		return err;
	}
	err = fx_session_bind(dev);
	if (err)
		return err;
	fx_session_destroy(s);
	return 0;
}
