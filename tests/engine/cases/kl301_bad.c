// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: references kept on error exits. */
#include <linux/of.h>
#include <linux/pm_runtime.h>

static int fx_find_port(struct device_node *np)
{
	struct device_node *child;

	for_each_child_of_node(np, child) {
		if (!of_device_is_available(child))
			return -ENODEV;
		fx_parse(child);
	}
	return 0;
}

static int fx_resume_io(struct device *dev)
{
	int ret;

	ret = pm_runtime_get_sync(dev);
	if (ret < 0)
		return ret;
	fx_io(dev);
	pm_runtime_put(dev);
	return 0;
}

static int fx_codec_node(struct device *dev)
{
	struct device_node *codec;
	int ret;

	codec = of_parse_phandle(dev->of_node, "fx,codec", 0);
	if (!codec)
		return -EINVAL;
	ret = fx_check_codec(codec);
	if (ret < 0)
		return ret;
	of_node_put(codec);
	return 0;
}
