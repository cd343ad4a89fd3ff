// SPDX-License-Identifier: GPL-2.0
/* An IRQ released by a fix takes the dev_id it was requested with (free_irq(irq, dev_id)). */
#include <linux/interrupt.h>

struct fx_chip {
	int irq;
	void __iomem *regs;
};

static irqreturn_t fx_interrupt(int irq, void *dev_id);
static irqreturn_t fx_thread(int irq, void *dev_id);
int fx_start(struct fx_chip *h);

static int fx_setup(struct fx_chip *h)
{
	int err;

	err = request_irq(h->irq, fx_interrupt, IRQF_SHARED, "fx", h);
	if (err)
		return err;
	err = fx_start(h);
	if (err) {
		free_irq(h->irq, h);
		return err;
	}
	return 0;
}

static int fx_setup_threaded(struct fx_chip *h)
{
	int err;

	err = request_threaded_irq(h->irq, fx_interrupt, fx_thread, IRQF_ONESHOT, "fx",
				   h->regs);
	if (err)
		return err;
	err = fx_start(h);
	if (err) {
		free_irq(h->irq, h->regs);
		return err;
	}
	return 0;
}

struct platform_device;
int fx_register_platform(struct platform_device *pdev);

/* The released object is written as the acquisition wrote it: &pdev->dev, not pdev->dev. */
static int fx_pm_probe(struct platform_device *pdev)
{
	int err;

	pm_runtime_enable(&pdev->dev);
	err = fx_register_platform(pdev);
	if (err) {
		pm_runtime_disable(&pdev->dev);
		return err;
	}
	return 0;
}
