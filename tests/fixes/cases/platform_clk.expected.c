// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: a platform probe with clocks and a regulator (written for kernlint). */
#include <linux/clk.h>
#include <linux/platform_device.h>
#include <linux/regulator/consumer.h>

struct beep_priv {
	struct clk *mclk;
	struct clk *bclk;
	struct regulator *vdd;
};

static int beep_probe(struct platform_device *pdev)
{
	struct beep_priv *priv = platform_get_drvdata(pdev);
	int ret;

	ret = regulator_enable(priv->vdd);
	if (ret)
		return ret;

	ret = clk_prepare_enable(priv->mclk);
	if (ret)
		goto err_vdd;

	ret = clk_prepare_enable(priv->bclk);
	if (ret)
		goto err_disable_mclk;

	ret = beep_hw_init(priv);
	if (ret)
		goto err_bclk;
	return 0;

err_bclk:
	clk_disable_unprepare(priv->bclk);
err_disable_mclk:
	clk_disable_unprepare(priv->mclk);
err_vdd:
	regulator_disable(priv->vdd);
	return ret;
}
