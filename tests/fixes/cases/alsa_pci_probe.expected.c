// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: an ALSA PCI probe with an unwind ladder (written for kernlint). */
#include <linux/pci.h>
#include <sound/core.h>
#include <sound/pcm.h>

struct tone_chip {
	struct snd_card *card;
	struct pci_dev *pci;
	void *buf;
	int irq;
};

static int tone_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	struct snd_card *card;
	struct tone_chip *chip;
	struct snd_pcm *pcm;
	int err;

	err = snd_card_new(&pci->dev, -1, NULL, THIS_MODULE, sizeof(*chip), &card);
	if (err < 0)
		return err;
	chip = card->private_data;

	err = pci_enable_device(pci);
	if (err < 0)
		goto err_free_card;

	chip->buf = kzalloc(4096, GFP_KERNEL);
	if (!chip->buf) {
		err = -ENOMEM;
		goto err_disable;
	}

	err = snd_pcm_new(card, "tone", 0, 1, 0, &pcm);
	if (err < 0)
		goto err_disable;

	err = snd_card_register(card);
	if (err < 0)
		goto err_disable;
	return 0;

err_disable:
	kfree(chip->buf);
	pci_disable_device(pci);
err_free_card:
	snd_card_free(card);
	return err;
}

static int tone_setup(struct pci_dev *pci)
{
	struct snd_card *card;
	int err;

	err = snd_card_new(&pci->dev, -1, NULL, THIS_MODULE, 0, &card);
	if (err < 0)
		return err;
	if (!pci->irq) {
		err = -ENODEV;
		goto err_free_card;
	}
	err = snd_card_register(card);
	if (err < 0)
		goto err_free_card;
	return 0;

err_free_card:
	snd_card_free(card);
	return err;
}
