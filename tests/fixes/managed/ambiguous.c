// SPDX-License-Identifier: GPL-2.0
/*
 * kernlint fixture: a codec cell of a multi-function device. Its probe binds managed
 * resources to two devices (its own and the parent's), so which device a converted
 * allocation should belong to is not clear: no managed alternative.
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/clk.h>

struct wren_codec {
	struct clk *bclk;
	char *name;
};

static int wren_codec_probe(struct platform_device *pdev)
{
	struct device *parent = pdev->dev.parent;
	struct wren_codec *codec;
	char *name;

	codec = devm_kzalloc(&pdev->dev, sizeof(*codec), GFP_KERNEL);
	if (!codec)
		return -ENOMEM;

	name = kstrdup(dev_name(parent), GFP_KERNEL);
	if (!name)
		return -ENOMEM;

	codec->bclk = devm_clk_get(parent, "bclk");
	if (IS_ERR(codec->bclk))
		return PTR_ERR(codec->bclk);

	codec->name = name;
	platform_set_drvdata(pdev, codec);
	return 0;
}

static void wren_codec_remove(struct platform_device *pdev)
{
	struct wren_codec *codec = platform_get_drvdata(pdev);

	kfree(codec->name);
}

static struct platform_driver wren_codec_driver = {
	.probe = wren_codec_probe,
	.remove = wren_codec_remove,
	.driver = {
		.name = "wren-codec",
	},
};
module_platform_driver(wren_codec_driver);
