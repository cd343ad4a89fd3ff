/* Per-stream private data handed to the stream first, then filled in: what goes into it
 * after the hand-off goes along, so a failure in the next pass leaks nothing of this pass. */

struct lo_info { int delay; };
struct lo_priv { struct lo_info *info; };
struct lo_stream { struct lo_priv *priv; void *pipes; };
struct lo_pcm { struct lo_stream stream[2]; };

void lo_pcm_free(struct lo_pcm *pcm);

static int lo_pcm_setup(struct lo_pcm *pcm, int n)
{
	struct lo_priv *priv;
	struct lo_info *info;
	int s;

	for (s = 0; s < 2; s++) {
		pcm->stream[s].pipes = kcalloc(n, sizeof(int), GFP_KERNEL);
		if (!pcm->stream[s].pipes) {
			lo_pcm_free(pcm);
			return -ENOMEM;
		}
		priv = kzalloc(sizeof(*priv), GFP_KERNEL);
		if (!priv) {
			lo_pcm_free(pcm);
			return -ENOMEM;
		}
		pcm->stream[s].priv = priv;
		info = kzalloc(sizeof(*info), GFP_KERNEL);
		if (!info) {
			lo_pcm_free(pcm);
			return -ENOMEM;
		}
		priv->info = info;
	}
	return 0;
}
