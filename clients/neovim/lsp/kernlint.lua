-- Default configuration of the kernlint language server for Neovim 0.11+
-- (`vim.lsp.config('kernlint', {...})` merges into it, `vim.lsp.enable('kernlint')`
-- starts it for C buffers).
---@type vim.lsp.Config
return {
  cmd = { 'kernlint', 'serve' },
  filetypes = { 'c' },
  root_markers = { 'MAINTAINERS', 'Kconfig', '.kernlint.toml', '.git' },
  -- Sent as initializationOptions and as the "kernlint" section of
  -- workspace/configuration. Keys are the server's (camelCase).
  -- (vim.empty_dict(): an empty Lua table would be sent as a JSON array.)
  settings = {
    kernlint = vim.empty_dict(),
  },
  before_init = function(params, config)
    local opts = vim.tbl_deep_extend(
      'force',
      params.initializationOptions or {},
      (config.settings or {}).kernlint or {}
    )
    params.initializationOptions = next(opts) == nil and vim.empty_dict() or opts
  end,
}
