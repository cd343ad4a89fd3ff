/* Error paths that undo part of what the function set up, but not all of it: the function's
 * own unwinding of a later step is the evidence, no exemplar of the skipped step needed. */

struct fx_afe {
	struct device *dev;
	struct clk *bus_clk;
	struct clk *core_clk;
	struct clk *mclk;
	void *regs;
};

/* A resume callback that turns three clocks on. The last error path turns the core clock
 * off again but leaves the bus clock on. The second error path undoes nothing at all: a
 * runtime resume that fails is never followed by a runtime suspend, so it leaks too. */
static int fx_afe_runtime_resume(struct device *dev)
{
	struct fx_afe *afe = dev_get_drvdata(dev);
	int ret;

	ret = clk_prepare_enable(afe->bus_clk);
	if (ret)
		return ret;
	ret = clk_prepare_enable(afe->core_clk);
	if (ret)
		return ret;
	ret = clk_prepare_enable(afe->mclk);
	if (ret) {
		clk_disable_unprepare(afe->core_clk);
		return ret;
	}
	return 0;
}

/* The unwind ladder lost a rung: err_core undoes the core clock and falls off the end. */
static int fx_afe_enable_clocks(struct fx_afe *afe)
{
	int ret;

	ret = clk_prepare_enable(afe->bus_clk);
	if (ret)
		return ret;
	ret = clk_prepare_enable(afe->core_clk);
	if (ret)
		goto err_bus;
	ret = clk_prepare_enable(afe->mclk);
	if (ret)
		goto err_core;
	ret = fx_afe_check_rate(afe);
	if (ret)
		goto err_mclk;
	return 0;

err_mclk:
	clk_disable_unprepare(afe->mclk);
err_core:
	clk_disable_unprepare(afe->core_clk);
err_bus:
	return ret;
}

/* The labels went out of order: the master clock's failure lands on err_mclk, above
 * err_core, and the rung between them that was to turn the core clock off is empty. */
static int fx_afe_start_ladder(struct fx_afe *afe)
{
	int ret;

	ret = clk_prepare_enable(afe->bus_clk);
	if (ret)
		return ret;
	ret = clk_prepare_enable(afe->core_clk);
	if (ret)
		goto err_core;
	ret = clk_prepare_enable(afe->mclk);
	if (ret) {
		dev_err(afe->dev, "mclk: %d\n", ret);
		goto err_mclk;
	}
	return 0;

err_mclk:
err_core:
	clk_disable_unprepare(afe->bus_clk);
	return ret;
}

/* Typed `return ret;` where `goto err_bus;` was meant: the unwind code under err_bus is
 * still there, but nothing jumps to it any more. */
static int fx_afe_enable_pair(struct fx_afe *afe)
{
	int ret;

	ret = clk_prepare_enable(afe->bus_clk);
	if (ret)
		return ret;
	ret = clk_prepare_enable(afe->core_clk);
	if (ret)
		return ret;
	return 0;

err_bus:
	clk_disable_unprepare(afe->bus_clk);
	return ret;
}

/* The error label frees the private data block but not the buffer hanging off it: kfree()
 * takes the block only. */
struct fx_priv_data { void *rbuffer; int size; };

int fx_alloc_private(struct fx_afe *afe, struct fx_priv_data **out);
int fx_open_seq(struct fx_afe *afe, struct fx_priv_data *data);

static int fx_text_open(struct fx_afe *afe)
{
	struct fx_priv_data *data;
	int err;

	err = fx_alloc_private(afe, &data);
	if (err < 0)
		return err;
	data->rbuffer = kzalloc(64, GFP_KERNEL);
	if (!data->rbuffer) {
		err = -ENOMEM;
		goto error;
	}
	err = fx_open_seq(afe, data);
	if (err < 0)
		goto error;
	return 0;

error:
	kfree(data);
	return err;
}

/* The rung under unregister_dmic lost its call: the later failures fall through to the
 * regions' release, which owns nothing of the codec device. */
static int fx_acp_probe(struct pci_dev *pci, struct fx_afe *afe)
{
	struct platform_device *dmic;
	int ret;

	ret = pci_request_regions(pci, "fx-acp");
	if (ret < 0)
		return ret;
	dmic = platform_device_register_data(&pci->dev, "dmic-codec", -1, NULL, 0);
	if (IS_ERR(dmic)) {
		ret = PTR_ERR(dmic);
		goto release_regions;
	}
	afe->regs = fx_map(pci);
	if (!afe->regs) {
		ret = -ENOMEM;
		goto unregister_dmic;
	}
	return 0;

unregister_dmic:
release_regions:
	pci_release_regions(pci);
	return ret;
}

/* Exported helpers of this file paired by name: mt_afe_enable_clk() / mt_afe_disable_clk(). */
int mt_afe_enable_clk(struct mt_afe *afe, struct clk *clk)
{
	int ret;

	if (clk) {
		ret = clk_prepare_enable(clk);
		if (ret)
			return ret;
	}
	return 0;
}

void mt_afe_disable_clk(struct mt_afe *afe, struct clk *clk)
{
	if (clk)
		clk_disable_unprepare(clk);
}

int mt_apll1_enable(struct mt_afe *afe)
{
	struct mt_afe_priv *priv = afe->platform_priv;
	int ret;

	ret = mt_afe_enable_clk(afe, priv->clk[MT_CLK_APLL1]);
	if (ret)
		return ret;
	ret = mt_afe_set_parent(afe, priv->clk[MT_CLK_A1SYS], priv->clk[MT_CLK_APLL1]);
	if (ret)
		goto err_parent;
	ret = mt_afe_enable_a1sys(afe);
	if (ret)
		return ret;
	return 0;

err_parent:
	mt_afe_disable_clk(afe, priv->clk[MT_CLK_APLL1]);
	return ret;
}
