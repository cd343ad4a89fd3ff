// SPDX-License-Identifier: GPL-2.0
/*
 * kernlint fixture: an I2S controller that takes its bus clock with devm_clk_get() but
 * its optional master clock with clk_get(), dropped by hand in probe and in remove().
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/clk.h>

struct lark_i2s {
	void __iomem *base;
	struct clk *bclk;
	struct clk *mclk;
};

static int lark_i2s_probe(struct platform_device *pdev)
{
	struct device *dev = &pdev->dev;
	struct lark_i2s *i2s;
	int ret;

	i2s = devm_kzalloc(dev, sizeof(*i2s), GFP_KERNEL);
	if (!i2s)
		return -ENOMEM;

	i2s->bclk = devm_clk_get(dev, "bclk");
	if (IS_ERR(i2s->bclk))
		return PTR_ERR(i2s->bclk);

	i2s->mclk = clk_get(dev, "mclk");
	if (IS_ERR(i2s->mclk))
		return PTR_ERR(i2s->mclk);

	i2s->base = devm_platform_ioremap_resource(pdev, 0);
	if (IS_ERR(i2s->base)) {
		ret = PTR_ERR(i2s->base);
		goto err_put_mclk;
	}

	ret = clk_set_rate(i2s->mclk, 12288000);
	if (ret)
		return ret;

	platform_set_drvdata(pdev, i2s);
	return 0;

err_put_mclk:
	clk_put(i2s->mclk);
	return ret;
}

static void lark_i2s_remove(struct platform_device *pdev)
{
	struct lark_i2s *i2s = platform_get_drvdata(pdev);

	clk_put(i2s->mclk);
}

static struct platform_driver lark_i2s_driver = {
	.probe = lark_i2s_probe,
	.remove = lark_i2s_remove,
	.driver = {
		.name = "lark-i2s",
	},
};
module_platform_driver(lark_i2s_driver);
