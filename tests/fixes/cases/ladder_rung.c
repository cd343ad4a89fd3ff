// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: several exits and a ladder that lost a release (written for kernlint). */
#include <linux/slab.h>
#include <linux/firmware.h>

struct whirr {
	struct device *dev;
	void *cfg;
};

static int whirr_load(struct whirr *w)
{
	const struct firmware *fw;
	u8 *cfg, *tmp;
	int err;

	err = request_firmware(&fw, "whirr.bin", w->dev);
	if (err)
		return err;

	cfg = kmemdup(fw->data, fw->size, GFP_KERNEL);
	if (!cfg) {
		err = -ENOMEM;
		goto out_fw;
	}

	tmp = kzalloc(64, GFP_KERNEL);
	if (!tmp) {
		err = -ENOMEM;
		goto out_cfg;
	}

	err = whirr_parse(w, cfg, tmp);
	if (err)
		goto out_tmp;

	kfree(tmp);
	w->cfg = cfg;
	release_firmware(fw);
	return 0;

out_tmp:
out_cfg:
	kfree(cfg);
out_fw:
	release_firmware(fw);
	return err;
}
