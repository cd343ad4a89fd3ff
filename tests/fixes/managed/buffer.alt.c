// SPDX-License-Identifier: GPL-2.0
/*
 * kernlint fixture: a platform audio interface that allocates its private data with
 * devm_kzalloc() but its DMA descriptor table with kzalloc(), freed in remove().
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/clk.h>

struct tern_desc {
	u32 addr;
	u32 len;
};

struct tern_priv {
	struct device *dev;
	void __iomem *base;
	struct clk *mclk;
	struct tern_desc *table;
	unsigned int ndesc;
};

static int tern_probe(struct platform_device *pdev)
{
	struct tern_priv *priv;
	struct tern_desc *table;
	int ret;

	priv = devm_kzalloc(&pdev->dev, sizeof(*priv), GFP_KERNEL);
	if (!priv)
		return -ENOMEM;
	priv->dev = &pdev->dev;

	priv->base = devm_platform_ioremap_resource(pdev, 0);
	if (IS_ERR(priv->base))
		return PTR_ERR(priv->base);

	priv->ndesc = 64;
	table = devm_kcalloc(&pdev->dev, priv->ndesc, sizeof(*table), GFP_KERNEL);
	if (!table)
		return -ENOMEM;

	priv->mclk = devm_clk_get(&pdev->dev, "mclk");
	if (IS_ERR(priv->mclk)) {
		return PTR_ERR(priv->mclk);
	}

	ret = device_property_read_u32(&pdev->dev, "tern,descriptors", &priv->ndesc);
	if (ret)
		return ret;

	priv->table = table;
	platform_set_drvdata(pdev, priv);
	return 0;
}

static void tern_remove(struct platform_device *pdev)
{
	struct tern_priv *priv = platform_get_drvdata(pdev);

	writel(0, priv->base);
}

static struct platform_driver tern_driver = {
	.probe = tern_probe,
	.remove = tern_remove,
	.driver = {
		.name = "tern-audio",
	},
};
module_platform_driver(tern_driver);
