/* A helper of this file that stores the object it is given into another object
 * (the rawmidi device's private data, freed by its private_free) takes it over:
 * a later failure must not free it again. */
struct hs_midi {
	struct snd_rawmidi *rmidi;
	int ports;
};

static void hs_rawmidi_free(struct snd_rawmidi *rmidi)
{
	kfree(rmidi->private_data);
}

static int hs_create_rawmidi(struct hs_midi *m, struct snd_card *card)
{
	struct snd_rawmidi *rmidi;
	int err;

	err = snd_rawmidi_new(card, "hs", 0, 1, 1, &rmidi);
	if (err < 0)
		return err;
	rmidi->private_data = m;
	rmidi->private_free = hs_rawmidi_free;
	m->rmidi = rmidi;
	return 0;
}

int hs_midi_create(struct snd_card *card)
{
	struct hs_midi *m;
	int err;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	err = hs_detect(card);
	if (err < 0)
		goto free_midi;
	err = hs_create_rawmidi(m, card);
	if (err < 0)
		goto free_midi;
	err = hs_create_ports(card);
	if (err < 0)
		goto exit;
	return 0;

free_midi:
	kfree(m);
exit:
	return err;
}
