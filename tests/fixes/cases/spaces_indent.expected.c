// SPDX-License-Identifier: GPL-2.0
/* kernlint fixture: a file indented with four spaces (written for kernlint). */
#include <linux/slab.h>

struct tick_ctx {
    void *table;
    void *shadow;
};

static int tick_alloc(struct tick_ctx *ctx, size_t n)
{
    void *table;
    int ret;

    table = kcalloc(n, 8, GFP_KERNEL);
    if (!table)
        return -ENOMEM;
    ret = tick_fill(table, n);
    if (ret) {
        kfree(table);
        return ret;
    }
    ctx->table = table;
    return 0;
}
