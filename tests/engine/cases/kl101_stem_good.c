/* State paired by name (sg_get_fmt / sg_free_fmt) stays a guess after a store into the
 * caller's object is undone: it still needs the function's own exemplar. */

struct sg_fmt { void *in; void *out; };
struct sg_dai { void *scomp; void *priv; };
struct sg_widget { void *scomp; struct sg_dai *dai; };

int sg_get_fmt(void *scomp, struct sg_widget *w, struct sg_fmt *fmt);
void sg_free_fmt(struct sg_fmt *fmt);
int sg_send(struct sg_widget *w);

static int sg_setup(struct sg_widget *w, struct sg_fmt *fmt)
{
	void *scomp = w->scomp;
	int ret;

	ret = sg_get_fmt(scomp, w, fmt);
	if (ret)
		return ret;
	w->dai->scomp = scomp;
	ret = sg_send(w);
	if (ret)
		goto err;
	return 0;

err:
	sg_free_fmt(fmt);
	w->dai->scomp = NULL;
	return ret;
}

/* Set up only when the widget is not the scheduler, undone only when it is not: the path
 * that tests the same constant both ways cannot be taken. */
static int sw_setup(struct sw_dev *sdev, struct sw_widget *w)
{
	int ret;

	if (w->dynamic && w->id != sw_dapm_scheduler) {
		ret = sw_setup(sdev, w->pipe_widget);
		if (ret < 0)
			return ret;
	}
	if (w->id == sw_dapm_scheduler) {
		ret = sw_core_get(sdev, w->core);
		if (ret < 0)
			goto pipe_free;
	}
	ret = sw_ipc_setup(sdev, w);
	if (ret < 0)
		goto pipe_free;
	return 0;

pipe_free:
	if (w->id != sw_dapm_scheduler)
		sw_free(sdev, w->pipe_widget);
	else
		sw_core_put(sdev, w->core);
	return ret;
}
