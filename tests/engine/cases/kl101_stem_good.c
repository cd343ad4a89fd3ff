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
