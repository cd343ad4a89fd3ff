-- kernlint: Linux driver bug finder, as a Neovim LSP client.
--
-- Neovim 0.11+:   require('kernlint').setup({ settings = { select = { 'KL' } } })
--                 (or just vim.lsp.enable('kernlint') with this plugin on the
--                 runtimepath: lsp/kernlint.lua holds the defaults)
-- Neovim 0.10:    require('kernlint').setup({...}) starts the server from a
--                 FileType autocommand through vim.lsp.start().
-- nvim-lspconfig: require('lspconfig.configs').kernlint =
--                   { default_config = require('kernlint').lspconfig() }
--                 require('lspconfig').kernlint.setup({})
local M = {}

M.name = 'kernlint'

--- Files whose presence marks the top of a tree; the first one found
--- upwards wins, in this order. `MAINTAINERS` + `Kconfig` is the top of a
--- kernel tree; a driver tree outside the kernel has `.kernlint.toml` or git.
M.root_markers = { 'MAINTAINERS', 'Kconfig', '.kernlint.toml', '.git' }

---@class kernlint.Options
---@field cmd? string[]          command that starts the server (default {'kernlint','serve'}; a project .venv/bin/kernlint is preferred)
---@field filetypes? string[]    default {'c'}
---@field settings? table        server settings (select, ignore, severity, debounceMs, llm = {...})
---@field on_attach? fun(client: vim.lsp.Client, bufnr: integer)
---@field capabilities? table

M.options = {
  cmd = nil,
  filetypes = { 'c' },
  settings = {},
}

--- Top of the kernel tree containing `path`: the outermost directory with
--- both MAINTAINERS and Kconfig (a subsystem also has Kconfig files), else
--- the nearest .kernlint.toml, else the nearest .git, else the file's folder.
---@param path string
---@return string
function M.find_root(path)
  local dir = vim.fs.dirname(vim.fs.normalize(path))
  local top = vim.fs.find(function(name, d)
    return name == 'MAINTAINERS' and vim.uv.fs_stat(vim.fs.joinpath(d, 'Kconfig')) ~= nil
  end, { path = dir, upward = true, limit = 1 })[1]
  if top then
    return vim.fs.dirname(top)
  end
  for _, marker in ipairs({ '.kernlint.toml', '.git', 'Kconfig' }) do
    local hit = vim.fs.find(marker, { path = dir, upward = true, limit = 1 })[1]
    if hit then
      return vim.fs.dirname(hit)
    end
  end
  return dir
end

--- The server command: options.cmd if given, else <root>/.venv/bin/kernlint
--- when it exists, else kernlint from $PATH.
---@param root? string
---@return string[]
function M.cmd(root)
  if M.options.cmd then
    return M.options.cmd
  end
  if root then
    local venv = vim.fs.joinpath(root, '.venv', 'bin', 'kernlint')
    if vim.fn.executable(venv) == 1 then
      return { venv, 'serve' }
    end
  end
  return { 'kernlint', 'serve' }
end

-- An empty Lua table would go out as a JSON array; the server wants an object.
local function as_object(t)
  if t == nil or next(t) == nil then
    return vim.empty_dict()
  end
  return t
end

local function init_options(settings)
  return as_object(vim.deepcopy(settings or {}))
end

--- Settings table for nvim-lspconfig (`default_config`) or for vim.lsp.start.
---@param opts? kernlint.Options
---@return table
function M.lspconfig(opts)
  local o = vim.tbl_deep_extend('force', M.options, opts or {})
  return {
    cmd = o.cmd or { 'kernlint', 'serve' },
    filetypes = o.filetypes,
    root_dir = function(fname_or_buf, cb)
      -- lspconfig ≤ 1.x passes a file name and wants a return value;
      -- Neovim 0.11's root_dir passes (bufnr, on_dir).
      if type(fname_or_buf) == 'number' then
        cb(M.find_root(vim.api.nvim_buf_get_name(fname_or_buf)))
        return
      end
      return M.find_root(fname_or_buf)
    end,
    settings = { kernlint = as_object(o.settings) },
    init_options = init_options(o.settings),
    single_file_support = true,
  }
end

--- The clients of kernlint attached anywhere (or to one buffer).
---@param bufnr? integer
---@return vim.lsp.Client[]
function M.clients(bufnr)
  return vim.lsp.get_clients({ name = M.name, bufnr = bufnr })
end

local function start_010(bufnr)
  local fname = vim.api.nvim_buf_get_name(bufnr)
  if fname == '' then
    return
  end
  local root = M.find_root(fname)
  vim.lsp.start({
    name = M.name,
    cmd = M.cmd(root),
    root_dir = root,
    settings = { kernlint = as_object(M.options.settings) },
    init_options = init_options(M.options.settings),
    on_attach = M.options.on_attach,
    capabilities = M.options.capabilities,
  }, { bufnr = bufnr })
end

--- Configure and enable kernlint.
---@param opts? kernlint.Options
function M.setup(opts)
  M.options = vim.tbl_deep_extend('force', M.options, opts or {})
  if vim.lsp.config and vim.lsp.enable then
    -- Neovim 0.11+: layer our options over lsp/kernlint.lua.
    vim.lsp.config(M.name, {
      cmd = function(dispatchers, config)
        return vim.lsp.rpc.start(M.cmd(config.root_dir), dispatchers, { cwd = config.root_dir })
      end,
      filetypes = M.options.filetypes,
      root_dir = function(bufnr, on_dir)
        on_dir(M.find_root(vim.api.nvim_buf_get_name(bufnr)))
      end,
      settings = { kernlint = as_object(M.options.settings) },
      init_options = init_options(M.options.settings),
      on_attach = M.options.on_attach,
      capabilities = M.options.capabilities,
    })
    vim.lsp.enable(M.name)
  else
    local group = vim.api.nvim_create_augroup('kernlint', { clear = true })
    vim.api.nvim_create_autocmd('FileType', {
      group = group,
      pattern = M.options.filetypes,
      callback = function(ev)
        start_010(ev.buf)
      end,
    })
    -- Buffers already open when setup() runs.
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) and vim.tbl_contains(M.options.filetypes, vim.bo[b].filetype) then
        start_010(b)
      end
    end
  end
end

--- :KernlintCheckWorkspace — ask the server to analyse every C file; the
--- server reports $/progress (shown by Neovim's LspProgress/statusline).
function M.check_workspace()
  local clients = M.clients()
  if #clients == 0 then
    vim.notify('kernlint: no server running', vim.log.levels.WARN)
    return
  end
  for _, client in ipairs(clients) do
    local token = ('kernlint-check-%d'):format(vim.uv.hrtime())
    client:request('workspace/executeCommand', {
      command = 'kernlint.checkWorkspace',
      arguments = {},
      workDoneToken = token,
    }, function(err)
      if err then
        vim.notify('kernlint: workspace check failed: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      else
        vim.notify('kernlint: workspace checked', vim.log.levels.INFO)
      end
    end)
  end
end

--- :KernlintRestart — stop every kernlint client and start it again for
--- the C buffers that are open.
function M.restart()
  local bufs = {}
  for _, client in ipairs(M.clients()) do
    for b in pairs(client.attached_buffers) do
      bufs[#bufs + 1] = b
    end
    client:stop(true)
  end
  vim.defer_fn(function()
    if vim.lsp.enable and vim.lsp.config then
      vim.lsp.enable(M.name, false)
      vim.lsp.enable(M.name, true)
    end
    for _, b in ipairs(bufs) do
      if vim.api.nvim_buf_is_valid(b) then
        if vim.lsp.config then
          -- 0.11: re-trigger the FileType autocommand that vim.lsp.enable installed
          vim.api.nvim_exec_autocmds('FileType', { buffer = b })
        else
          start_010(b)
        end
      end
    end
  end, 500)
end

--- :KernlintRuleDoc {code} — show the server's documentation of a rule.
---@param code string
function M.rule_doc(code)
  local client = M.clients()[1]
  if not client then
    vim.notify('kernlint: no server running', vim.log.levels.WARN)
    return
  end
  client:request('workspace/executeCommand', { command = 'kernlint.showRuleDoc', arguments = { code } },
    function(err, result)
      if err or type(result) ~= 'string' then
        vim.notify('kernlint: no documentation for ' .. code, vim.log.levels.WARN)
        return
      end
      vim.lsp.util.open_floating_preview(vim.split(result, '\n'), 'markdown', { border = 'rounded' })
    end)
end

return M
