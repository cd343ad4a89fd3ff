// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: runtime PM get that fails (written for kernlint). */
#include <linux/pm_runtime.h>

static int hiss_read_status(struct device *dev, u32 *val)
{
	int ret;

	ret = pm_runtime_get_sync(dev);
	if (ret < 0) {
		pm_runtime_put_noidle(dev);
		return ret;
	}
	*val = hiss_reg_read(dev, 0x10);
	pm_runtime_put_autosuspend(dev);
	return 0;
}
