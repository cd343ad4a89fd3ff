-- :checkhealth kernlint
local M = {}

local h = vim.health

local function exe_of(cmd)
  if type(cmd) == 'table' then
    return cmd[1]
  end
end

function M.check()
  h.start('kernlint: Neovim')
  local v = vim.version()
  local vs = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 1 then
    h.ok('Neovim ' .. vs .. ' (vim.lsp.config/enable)')
  elseif vim.fn.has('nvim-0.10') == 1 then
    h.ok('Neovim ' .. vs .. ' (setup() uses vim.lsp.start)')
  else
    h.error('Neovim ' .. vs .. ' is too old', { 'kernlint needs Neovim 0.10 or later' })
  end

  h.start('kernlint: server')
  local kl = require('kernlint')
  -- The buffer :checkhealth was called from (its own buffer is health://).
  local name = vim.fn.bufname('#')
  if name == '' or name:find('://', 1, true) then
    name = vim.fs.joinpath(vim.uv.cwd(), 'x.c')
  end
  local root = kl.find_root(vim.fn.fnamemodify(name, ':p'))
  local cmd = kl.cmd(root)
  local exe = exe_of(cmd)
  if not exe or vim.fn.executable(exe) ~= 1 then
    h.error(('executable %q not found'):format(tostring(exe)), {
      'pip install kernlint (into the tree\'s .venv or anywhere on $PATH)',
      "or require('kernlint').setup({ cmd = { '/path/to/kernlint', 'serve' } })",
    })
    return
  end
  h.ok('executable: ' .. vim.fn.exepath(exe))
  local ok, res = pcall(function()
    return vim.system({ exe, '--version' }, { text = true }):wait(10000)
  end)
  if not ok or not res or res.code ~= 0 then
    h.error('`' .. exe .. ' --version` failed', { ok and res and (res.stderr or '') or tostring(res) })
  else
    h.ok('version: ' .. vim.trim(res.stdout ~= '' and res.stdout or res.stderr))
  end
  h.info('root for the current buffer: ' .. root)

  local clients = kl.clients()
  if #clients == 0 then
    h.info('no kernlint client running (open a C file)')
  else
    for _, c in ipairs(clients) do
      h.ok(('client %d running, root %s'):format(c.id, c.root_dir or '?'))
    end
  end
end

return M
