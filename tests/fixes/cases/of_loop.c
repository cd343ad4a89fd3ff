// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: device-tree child loops left early (written for kernlint). */
#include <linux/of.h>

static int hum_count_ports(struct device_node *np)
{
	struct device_node *child;
	int n = 0;

	for_each_child_of_node(np, child) {
		if (!of_device_is_available(child))
			return -ENODEV;
		n++;
	}
	return n;
}

static int hum_first_codec(struct device_node *np, u32 *reg)
{
	struct device_node *child;
	int ret = -ENOENT;

	for_each_child_of_node(np, child) {
		if (of_property_read_u32(child, "reg", reg) == 0) {
			ret = 0;
			break;
		}
	}
	return ret;
}
