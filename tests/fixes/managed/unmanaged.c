// SPDX-License-Identifier: GPL-2.0
/*
 * kernlint fixture: a USB-less, devres-less platform driver that manages everything by
 * hand. The file uses no managed API, so no managed alternative is offered.
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/io.h>

struct finch_priv {
	void __iomem *regs;
	u32 *shadow;
};

static int finch_probe(struct platform_device *pdev)
{
	struct finch_priv *priv;
	u32 *shadow;
	int ret;

	priv = kzalloc(sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	platform_set_drvdata(pdev, priv);

	shadow = kmalloc_array(32, sizeof(*shadow), GFP_KERNEL);
	if (!shadow) {
		kfree(priv);
		return -ENOMEM;
	}

	ret = device_property_read_u32_array(&pdev->dev, "finch,defaults", shadow, 32);
	if (ret) {
		kfree(priv);
		return ret;
	}

	priv->shadow = shadow;
	return 0;
}

static void finch_remove(struct platform_device *pdev)
{
	struct finch_priv *priv = platform_get_drvdata(pdev);

	kfree(priv->shadow);
	kfree(priv);
}

static struct platform_driver finch_driver = {
	.probe = finch_probe,
	.remove = finch_remove,
	.driver = {
		.name = "finch",
	},
};
module_platform_driver(finch_driver);
