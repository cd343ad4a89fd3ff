/* A codec component's system resume: its result is ignored and the next suspend switches
 * the supplies off again, so leaving them on when the cache sync fails is balanced. */
struct cr_priv {
	struct regmap *regmap;
	struct regulator_bulk_data supplies[2];
};

static int cr_component_resume(struct snd_soc_component *component)
{
	struct cr_priv *priv = snd_soc_component_get_drvdata(component);
	int ret;

	ret = regulator_bulk_enable(2, priv->supplies);
	if (ret < 0)
		return ret;
	regcache_cache_only(priv->regmap, false);
	ret = regcache_sync(priv->regmap);
	if (ret < 0)
		return ret;
	return 0;
}

static int cr_component_suspend(struct snd_soc_component *component)
{
	struct cr_priv *priv = snd_soc_component_get_drvdata(component);

	regcache_cache_only(priv->regmap, true);
	regulator_bulk_disable(2, priv->supplies);
	return 0;
}

static const struct snd_soc_component_driver cr_component = {
	.suspend = cr_component_suspend,
	.resume = cr_component_resume,
};
