-- Run :checkhealth kernlint headless and write the report buffer to KL_OUT.
vim.opt.runtimepath:prepend(vim.env.KL_PLUGIN)
vim.cmd('runtime! plugin/kernlint.lua')
vim.cmd('checkhealth kernlint')
local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
local f = assert(io.open(vim.env.KL_OUT, 'w'))
f:write(table.concat(lines, '\n'), '\n')
f:close()
os.exit(0)
