/* Unwind ladders that are right, and the shapes where entering the ladder above an
 * acquisition's own label releases it by other means. */

struct lg_card;
struct lg_chip {
	struct lg_card *card;
	struct clk *bus_clk;
	struct clk *core_clk;
	void *table;
	int irq;
};

int snd_card_new(void *dev, int idx, const char *id, void *mod, int extra,
		 struct lg_card **out);
void snd_card_free(struct lg_card *card);
void lg_chip_teardown(struct lg_chip *chip);

/* Every rung undoes the step above its label. */
static int lg_clocks_on(struct lg_chip *chip)
{
	int ret;

	ret = clk_prepare_enable(chip->bus_clk);
	if (ret)
		goto err_bus;
	ret = clk_prepare_enable(chip->core_clk);
	if (ret)
		goto err_core;
	return 0;

err_core:
	clk_disable_unprepare(chip->bus_clk);
err_bus:
	return ret;
}

/* The table lives in the chip; freeing the card on the way out runs the chip's destructor,
 * which frees it. */
static int lg_probe(void *dev, struct lg_chip *chip)
{
	struct lg_card *card;
	int err;

	err = snd_card_new(dev, 0, "lg", 0, 0, &card);
	if (err < 0)
		return err;
	chip->table = kzalloc(256, GFP_KERNEL);
	if (!chip->table) {
		err = -ENOMEM;
		goto err_card;
	}
	err = request_irq(chip->irq, 0, 0, "lg", chip);
	if (err)
		goto err_irq;
	return 0;

err_irq:
	chip->irq = -1;
err_card:
	snd_card_free(card);
	return err;
}

/* The rung calls the chip's own teardown, which may turn the core clock off. */
static int lg_start(struct lg_chip *chip)
{
	int ret;

	ret = clk_prepare_enable(chip->core_clk);
	if (ret)
		goto out;
	ret = request_irq(chip->irq, 0, 0, "lg", chip);
	if (ret)
		goto err_teardown;
	return 0;

err_teardown:
	lg_chip_teardown(chip);
out:
	return ret;
}
