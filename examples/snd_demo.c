// SPDX-License-Identifier: GPL-2.0
/*
 * snd-demo: a small PCI sound driver written for kernlint's examples.
 * It is not a real driver; it carries the bugs kernlint is built to find.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/firmware.h>
#include <sound/core.h>
#include <sound/pcm.h>

struct demo_chip {
	struct snd_card *card;
	struct pci_dev *pci;
	struct mutex lock;
	void __iomem *regs;
	unsigned int rate;
	bool shutdown;
	u8 *scratch;
};

static int demo_fw_load(struct demo_chip *chip)
{
	const struct firmware *fw;
	u8 *copy;
	int err;

	err = request_firmware(&fw, "demo/dsp.bin", &chip->pci->dev);
	if (err < 0)
		return err;
	copy = kmemdup(fw->data, fw->size, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	chip->scratch = copy;
	release_firmware(fw);
	return 0;
}

static int demo_set_rate(struct demo_chip *chip, unsigned int rate)
{
	mutex_lock(&chip->lock);
	if (chip->shutdown)
		return -ENODEV;
	chip->rate = rate;
	mutex_unlock(&chip->lock);
	return 0;
}

static int demo_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	struct snd_card *card;
	struct demo_chip *chip;
	struct snd_pcm *pcm;
	int err;

	err = snd_card_new(&pci->dev, -1, NULL, THIS_MODULE, sizeof(*chip), &card);
	if (err < 0)
		return err;
	chip = card->private_data;
	chip->card = card;
	chip->pci = pci;
	mutex_init(&chip->lock);

	err = demo_fw_load(chip);
	if (err < 0)
		goto err_free_card;

	err = snd_pcm_new(card, "demo", 0, 1, 0, &pcm);
	if (err < 0)
		return err;

	err = snd_card_register(card);
	if (err < 0)
		goto err_free_card;
	pci_set_drvdata(pci, card);
	return 0;

err_free_card:
	snd_card_free(card);
	return err;
}
