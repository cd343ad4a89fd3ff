"""Canned model answers for the cases in tests/llm/cases (written for these tests)."""

from __future__ import annotations

from pathlib import Path

CASES = Path(__file__).resolve().parent / "cases"

LEAK_FIXED = """int leak_probe(struct leak_chip *chip)
{
	void *buf;
	int err;

	buf = kzalloc(64, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = leak_chip_setup(chip);
	if (err < 0) {
		kfree(buf);
		return err;
	}
	chip->buf = buf;
	return 0;
}"""

# "Fixed" but the error path still returns without freeing.
LEAK_LEFT = """int leak_probe(struct leak_chip *chip)
{
	void *buf;
	int err;

	buf = kzalloc(64, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = leak_chip_setup(chip);
	if (err < 0) {
		pr_err("setup failed\\n");
		return err;
	}
	chip->buf = buf;
	return 0;
}"""

# Frees on the error branch and again at the label it jumps to.
LEAK_DOUBLE_FREE = """int leak_probe(struct leak_chip *chip)
{
	void *buf;
	int err;

	buf = kzalloc(64, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	err = leak_chip_setup(chip);
	if (err < 0) {
		kfree(buf);
		goto fail;
	}
	chip->buf = buf;
	return 0;
fail:
	kfree(buf);
	return err;
}"""

LOCK_FIXED = """int lock_set_value(struct lock_chip *chip, int value)
{
	mutex_lock(&chip->lock);
	if (chip->shutdown) {
		mutex_unlock(&chip->lock);
		return -ENODEV;
	}
	chip->value = value;
	mutex_unlock(&chip->lock);
	return 0;
}"""

REF_FIXED = """int ref_parse(struct ref_chip *chip, struct device_node *parent)
{
	struct device_node *np;
	int err;

	np = of_get_child_by_name(parent, "codec");
	if (!np)
		return -ENODEV;
	err = of_property_read_u32(np, "rate", &chip->rate);
	of_node_put(np);
	return err;
}"""


def fenced(code: str, prose: str = "Here is the fixed function:") -> str:
    return f"{prose}\n\n```c\n{code}\n```\n\nThis releases the buffer on the error path.\n"


def case_text(name: str) -> str:
    return (CASES / f"{name}.c").read_text("utf-8")
