// SPDX-License-Identifier: GPL-2.0
/*
 * kernlint fixture: a PCI sound driver that already maps its registers with pcim_*(), but
 * still creates its card with snd_card_new() and frees it by hand in probe and remove.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <sound/core.h>
#include <sound/pcm.h>

struct quill_chip {
	struct snd_card *card;
	struct pci_dev *pci;
	void __iomem *mmio;
	unsigned int rate;
};

static int quill_hw_init(struct quill_chip *chip)
{
	writel(0x1, chip->mmio + 0x04);
	return readl(chip->mmio + 0x08) & 0x80 ? -EIO : 0;
}

static void quill_hw_stop(struct quill_chip *chip)
{
	writel(0x0, chip->mmio + 0x04);
}

static int quill_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
	struct snd_card *card;
	struct quill_chip *chip;
	struct snd_pcm *pcm;
	int err;

	err = pcim_enable_device(pci);
	if (err < 0)
		return err;

	err = snd_card_new(&pci->dev, -1, NULL, THIS_MODULE, sizeof(*chip), &card);
	if (err < 0)
		return err;
	chip = card->private_data;
	chip->card = card;
	chip->pci = pci;

	chip->mmio = pcim_iomap_region(pci, 0, "quill");
	if (IS_ERR(chip->mmio)) {
		err = PTR_ERR(chip->mmio);
		goto err_free_card;
	}

	err = snd_pcm_new(card, "Quill", 0, 1, 1, &pcm);
	if (err < 0)
		return err;
	pcm->private_data = chip;

	err = quill_hw_init(chip);
	if (err < 0)
		goto err_free_card;

	strscpy(card->driver, "Quill", sizeof(card->driver));
	err = snd_card_register(card);
	if (err < 0)
		goto err_stop;
	pci_set_drvdata(pci, card);
	return 0;

err_stop:
	quill_hw_stop(chip);
err_free_card:
	snd_card_free(card);
	return err;
}

static void quill_remove(struct pci_dev *pci)
{
	struct snd_card *card = pci_get_drvdata(pci);
	struct quill_chip *chip = card->private_data;

	quill_hw_stop(chip);
	snd_card_free(card);
}

static const struct pci_device_id quill_ids[] = {
	{ PCI_DEVICE(0x1d17, 0x0301) },
	{ }
};
MODULE_DEVICE_TABLE(pci, quill_ids);

static struct pci_driver quill_driver = {
	.name = "snd-quill",
	.id_table = quill_ids,
	.probe = quill_probe,
	.remove = quill_remove,
};
module_pci_driver(quill_driver);
