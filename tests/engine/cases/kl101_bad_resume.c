/* A runtime resume that fails is not followed by a runtime suspend: what it switched on
 * before failing stays on. So is an enable step whose caller sees it fail. */
struct rr_priv {
	struct clk *mclk;
	struct clk *bclk;
	struct regmap *regmap;
	struct regulator_bulk_data supplies[2];
};

static int rr_runtime_resume(struct device *dev)
{
	struct rr_priv *priv = dev_get_drvdata(dev);
	int ret;

	ret = clk_prepare_enable(priv->mclk);
	if (ret)
		return ret;
	ret = regulator_bulk_enable(2, priv->supplies);
	if (ret)
		goto err_clk;
	regcache_cache_only(priv->regmap, false);
	ret = regcache_sync(priv->regmap);
	if (ret)
		return ret;
	return 0;

err_clk:
	clk_disable_unprepare(priv->mclk);
	return ret;
}

static int rr_suspend(struct device *dev)
{
	struct rr_priv *priv = dev_get_drvdata(dev);

	regulator_bulk_disable(2, priv->supplies);
	clk_disable_unprepare(priv->mclk);
	return 0;
}

static const struct dev_pm_ops rr_pm = {
	SET_RUNTIME_PM_OPS(rr_suspend, rr_runtime_resume, NULL)
};

int rr_pll_enable(struct rr_priv *priv)
{
	int ret;

	ret = clk_prepare_enable(priv->mclk);
	if (ret)
		return ret;
	ret = clk_prepare_enable(priv->bclk);
	if (ret)
		goto out;
	regmap_write(priv->regmap, 0x10, 1);
out:
	return ret;
}
