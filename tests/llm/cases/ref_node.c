// SPDX-License-Identifier: GPL-2.0
/* eval case: a device-tree node reference is not dropped on an error path */
#include <linux/of.h>
#include <linux/errno.h>

struct ref_chip {
	u32 rate;
};

int ref_parse(struct ref_chip *chip, struct device_node *parent)
{
	struct device_node *np;
	int err;

	np = of_get_child_by_name(parent, "codec");
	if (!np)
		return -ENODEV;
	err = of_property_read_u32(np, "rate", &chip->rate);
	if (err)
		return err;
	of_node_put(np);
	return 0;
}
