// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: a driver that uses guard(); one writer forgets the lock (written for kernlint). */
#include <linux/cleanup.h>
#include <linux/mutex.h>
#include <sound/pcm.h>

struct drum {
	struct mutex lock;
	unsigned int tempo;
	unsigned int beats;
};

static int drum_set_tempo(struct drum *d, unsigned int t)
{
	guard(mutex)(&d->lock);
	d->tempo = t;
	d->beats = 0;
	return 0;
}

static unsigned int drum_get_tempo(struct drum *d)
{
	guard(mutex)(&d->lock);
	return d->tempo;
}

static int drum_tick(struct drum *d)
{
	guard(mutex)(&d->lock);
	d->beats++;
	return d->tempo;
}

static void drum_reset(struct drum *d)
{
	d->tempo = 120;
}

static int drum_trigger(struct snd_pcm_substream *ss, int cmd)
{
	struct drum *d = snd_pcm_substream_chip(ss);

	drum_reset(d);
	return 0;
}

static const struct snd_pcm_ops drum_ops = {
	.hw_params = drum_trigger,
};
