-- Commands only; the Lua module loads when one is used.
if vim.g.loaded_kernlint then
  return
end
vim.g.loaded_kernlint = true

vim.api.nvim_create_user_command('KernlintCheckWorkspace', function()
  require('kernlint').check_workspace()
end, { desc = 'kernlint: analyse every C file of the workspace' })

vim.api.nvim_create_user_command('KernlintRestart', function()
  require('kernlint').restart()
end, { desc = 'kernlint: restart the language server' })

vim.api.nvim_create_user_command('KernlintRuleDoc', function(a)
  require('kernlint').rule_doc(a.args)
end, { nargs = 1, desc = 'kernlint: show a rule\'s documentation (e.g. KL101)' })
