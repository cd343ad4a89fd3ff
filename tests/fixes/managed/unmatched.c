// SPDX-License-Identifier: GPL-2.0
/*
 * kernlint fixture: a DSP driver whose firmware image buffer is stored in the private data
 * and freed both in remove() and when the firmware is reloaded at run time. The teardown
 * free is not the only one, so a managed buffer would be freed twice: no alternative.
 * The coefficient table is freed by a helper in another file: no teardown free to match,
 * no alternative either.
 */
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>

struct robin_dsp {
	u8 *image;
	size_t image_len;
	u16 *coeffs;
};

void robin_coeffs_release(struct robin_dsp *dsp);
int robin_dsp_boot(struct robin_dsp *dsp, const u8 *image, size_t len);

static int robin_probe(struct platform_device *pdev)
{
	struct robin_dsp *dsp;
	u8 *image;
	u16 *coeffs;
	int ret;

	dsp = devm_kzalloc(&pdev->dev, sizeof(*dsp), GFP_KERNEL);
	if (!dsp)
		return -ENOMEM;

	image = kmalloc(4096, GFP_KERNEL);
	if (!image)
		return -ENOMEM;
	coeffs = kcalloc(128, sizeof(*coeffs), GFP_KERNEL);
	if (!coeffs) {
		kfree(image);
		return -ENOMEM;
	}

	ret = robin_dsp_boot(dsp, image, 4096);
	if (ret)
		return ret;

	dsp->image = image;
	dsp->image_len = 4096;
	dsp->coeffs = coeffs;
	platform_set_drvdata(pdev, dsp);
	return 0;
}

static int robin_reload(struct robin_dsp *dsp, size_t len)
{
	kfree(dsp->image);
	dsp->image = kmalloc(len, GFP_KERNEL);
	if (!dsp->image)
		return -ENOMEM;
	dsp->image_len = len;
	return robin_dsp_boot(dsp, dsp->image, len);
}

static void robin_remove(struct platform_device *pdev)
{
	struct robin_dsp *dsp = platform_get_drvdata(pdev);

	kfree(dsp->image);
	robin_coeffs_release(dsp);
}

static struct platform_driver robin_driver = {
	.probe = robin_probe,
	.remove = robin_remove,
	.driver = {
		.name = "robin-dsp",
	},
};
module_platform_driver(robin_driver);
