-- Headless Neovim: open the example with kernlint from clients/neovim,
-- wait for the KL101 diagnostic, resolve and apply "Add cleanup label",
-- and write a JSON report (run by test_neovim.py).
--
-- env: KL_PLUGIN (clients/neovim), KL_FILE (C file to open), KL_OUT (report),
--      KL_RULE, KL_TITLE, KL_TIMEOUT_MS, KL_SPAN / KL_FIXED_SPAN ("start,end":
--      0-based [start, end) lines of the target function before / after the fix)
local env = vim.env
local function span(s)
  local a, b = s:match('^(%d+),(%d+)$')
  return tonumber(a), tonumber(b)
end
local s0, e0 = span(env.KL_SPAN)
local s1, e1 = span(env.KL_FIXED_SPAN)
local report = { steps = {} }
local function step(s)
  table.insert(report.steps, s)
end
local function finish(ok, err)
  report.ok = ok
  report.error = err
  local f = assert(io.open(env.KL_OUT, 'w'))
  f:write(vim.json.encode(report))
  f:close()
  for _, c in ipairs(vim.lsp.get_clients()) do
    c:stop(true)
  end
  vim.wait(2000, function()
    return #vim.lsp.get_clients() == 0
  end, 50)
  os.exit(ok and 0 or 1)
end

local ok, err = xpcall(function()
  local timeout = tonumber(env.KL_TIMEOUT_MS or '60000')
  vim.opt.runtimepath:prepend(env.KL_PLUGIN)
  vim.cmd('filetype on')
  vim.cmd('runtime! plugin/kernlint.lua')
  report.nvim = tostring(vim.version())

  local mode = env.KL_MODE or 'enable'
  report.mode = mode
  if mode == 'enable' then
    -- The default config (lsp/kernlint.lua) with `kernlint` found on PATH.
    vim.lsp.enable('kernlint')
  elseif mode == 'setup' then
    require('kernlint').setup({ settings = { debounceMs = 100, severity = { [env.KL_RULE] = 'error' } } })
  elseif mode == 'setup-0.10' then
    -- Neovim 0.10 has neither vim.lsp.config nor vim.lsp.enable: hide them
    -- so that setup() takes its FileType + vim.lsp.start() path.
    vim.lsp.config, vim.lsp.enable = nil, nil
    require('kernlint').setup({ settings = { debounceMs = 100, severity = { [env.KL_RULE] = 'error' } } })
  end
  vim.cmd.edit(vim.fn.fnameescape(env.KL_FILE))
  local buf = vim.api.nvim_get_current_buf()
  step('opened ' .. env.KL_FILE .. ' ft=' .. vim.bo[buf].filetype)

  local client
  assert(vim.wait(timeout, function()
    client = vim.lsp.get_clients({ bufnr = buf, name = 'kernlint' })[1]
    return client ~= nil and client.initialized
  end, 50), 'kernlint client did not attach/initialize')
  report.server_info = client.server_info
  report.root_dir = client.root_dir
  step('client attached, root ' .. tostring(client.root_dir))
  for _, k in ipairs({ 'codeActionProvider', 'executeCommandProvider' }) do
    report[k] = client.server_capabilities[k]
  end

  local diag
  assert(vim.wait(timeout, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.code == env.KL_RULE and d.lnum >= s0 and d.lnum < e0 then
        diag = d
        return true
      end
    end
    return false
  end, 50), 'no ' .. env.KL_RULE .. ' diagnostic in lines ' .. (s0 + 1) .. '-' .. e0
    .. ' within ' .. timeout .. ' ms; got: '
    .. vim.inspect(vim.diagnostic.get(buf)))
  local lsp_diag = diag.user_data and diag.user_data.lsp or {}
  report.diagnostic = {
    lnum = diag.lnum,
    col = diag.col,
    message = diag.message,
    source = diag.source,
    code = diag.code,
    severity = diag.severity,
    related = lsp_diag.relatedInformation,
    href = lsp_diag.codeDescription and lsp_diag.codeDescription.href,
  }
  step('diagnostic ' .. diag.code .. ' at line ' .. (diag.lnum + 1))

  -- Code actions for the diagnostic's range, with it in the context.
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(buf),
    range = lsp_diag.range,
    context = { diagnostics = { lsp_diag }, only = { 'quickfix' } },
  }
  local res = client:request_sync('textDocument/codeAction', params, timeout, buf)
  assert(res and not res.err, 'codeAction failed: ' .. vim.inspect(res))
  local actions = res.result or {}
  report.titles = vim.tbl_map(function(a)
    return a.title
  end, actions)
  local action
  for _, a in ipairs(actions) do
    if vim.startswith(a.title, env.KL_TITLE) then
      action = a
      break
    end
  end
  assert(action, 'no code action titled "' .. env.KL_TITLE .. '…"; got ' .. vim.inspect(report.titles))
  report.action = { title = action.title, kind = action.kind, isPreferred = action.isPreferred,
    had_edit = action.edit ~= nil }
  step('action: ' .. action.title)

  if not action.edit then
    local r = client:request_sync('codeAction/resolve', action, timeout, buf)
    assert(r and not r.err, 'codeAction/resolve failed: ' .. vim.inspect(r))
    action = r.result
    step('resolved')
  end
  assert(action.edit, 'the resolved action has no edit: ' .. vim.inspect(action))
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  if action.command then
    client:exec_cmd(action.command, { bufnr = buf })
  end
  report.text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'
  step('applied')

  -- The verified fix must make the finding go away after re-analysis.
  report.cleared = vim.wait(timeout, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.code == env.KL_RULE and d.lnum >= s1 and d.lnum < e1 then
        return false
      end
    end
    return true
  end, 50)
  report.after = vim.tbl_map(function(d)
    return { code = d.code, lnum = d.lnum, message = d.message }
  end, vim.diagnostic.get(buf))
  step('after fix: ' .. #report.after .. ' diagnostics')

  -- The commands behind :KernlintRuleDoc and :KernlintCheckWorkspace.
  local doc = client:request_sync('workspace/executeCommand',
    { command = 'kernlint.showRuleDoc', arguments = { env.KL_RULE } }, timeout, buf)
  assert(doc and not doc.err, 'kernlint.showRuleDoc failed: ' .. vim.inspect(doc))
  report.rule_doc = doc.result
  local progress = {}
  local token = 'kl-test-progress'
  client.handlers['$/progress'] = function(_, p)
    if p.token == token then
      progress[#progress + 1] = p.value.kind
    end
  end
  local chk = client:request_sync('workspace/executeCommand',
    { command = 'kernlint.checkWorkspace', arguments = {}, workDoneToken = token }, timeout, buf)
  assert(chk and not chk.err, 'kernlint.checkWorkspace failed: ' .. vim.inspect(chk))
  vim.wait(2000, function()
    return progress[#progress] == 'end'
  end, 50)
  report.progress = progress
  step('commands ok, progress ' .. table.concat(progress, ','))
end, debug.traceback)

finish(ok, not ok and tostring(err) or nil)
