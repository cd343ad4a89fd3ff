// SPDX-License-Identifier: GPL-2.0
/*
 * kernlint fixture: a platform codec whose threaded IRQ is requested by hand and freed in
 * remove(); the rest of the driver is managed. The IRQ number is read before the request.
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/interrupt.h>

struct heron {
	void __iomem *regs;
	int irq;
};

int heron_hw_init(struct heron *h);
void heron_hw_stop(struct heron *h);
irqreturn_t heron_irq(int irq, void *data);

static int heron_probe(struct platform_device *pdev)
{
	struct heron *h;
	int ret;

	h = devm_kzalloc(&pdev->dev, sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->irq = platform_get_irq(pdev, 0);
	ret = devm_request_threaded_irq(&pdev->dev, h->irq, NULL, heron_irq,
					IRQF_ONESHOT, "heron", h);
	if (ret)
		return ret;
	ret = heron_hw_init(h);
	if (ret)
		return ret;
	platform_set_drvdata(pdev, h);
	return 0;
}

static void heron_remove(struct platform_device *pdev)
{
	struct heron *h = platform_get_drvdata(pdev);

	heron_hw_stop(h);
}

static struct platform_driver heron_driver = {
	.probe = heron_probe,
	.remove = heron_remove,
	.driver = {
		.name = "heron-codec",
	},
};
module_platform_driver(heron_driver);
