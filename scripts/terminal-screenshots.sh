#!/usr/bin/env bash
# Screenshots of kernlint in terminal Neovim and Emacs (docs/img/neovim.png, docs/img/emacs.png):
# each editor runs in tmux on examples/snd_demo.c, the pane is captured with its colours,
# rendered to HTML (scripts/ansi2html.py) and photographed by headless Chromium.
# Needs what scripts/setup-editors.sh installs (tmux, Neovim in .venv, emacs-nox + elpa-eglot,
# chromium).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="$(mktemp -d)"
trap 'tmux -L kl-shots kill-server 2>/dev/null || true; rm -rf "$W"' EXIT
cp "$REPO/examples/snd_demo.c" "$W/snd_demo.c"
cat > "$W/init.lua" <<LUA
vim.opt.runtimepath:prepend('$REPO/clients/neovim')
vim.cmd('filetype on'); vim.cmd('syntax on')
vim.opt.termguicolors = true; vim.opt.number = true; vim.opt.signcolumn = 'yes'
vim.diagnostic.config({ virtual_text = { prefix = '●' }, underline = true, signs = true })
require('kernlint').setup({ cmd = { '$REPO/.venv/bin/kernlint', 'serve' } })
LUA
cat > "$W/init.el" <<ELISP
(package-initialize)
(require 'eglot)
(add-to-list 'load-path "$REPO/clients/emacs")
(require 'kernlint-eglot)
(setq kernlint-eglot-command '("$REPO/.venv/bin/kernlint" "serve"))
(setq inhibit-startup-screen t)
(global-display-line-numbers-mode 1)
(add-hook 'c-mode-hook #'eglot-ensure)
ELISP
T="tmux -L kl-shots"
shoot() {  # name title
    $T capture-pane -t "$1" -e -p > "$W/$1.ans"
    python3 "$REPO/scripts/ansi2html.py" "$W/$1.ans" "$2" > "$W/$1.html"
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$W/chromium-$1" --hide-scrollbars --window-size=1120,800 \
        --screenshot="$REPO/docs/img/$1.png" "file://$W/$1.html" 2>/dev/null
    $T kill-session -t "$1"
}
XDG_STATE_HOME="$W/state" XDG_DATA_HOME="$W/data" $T new-session -d -s neovim -x 132 -y 40 \
    "$REPO/.venv/bin/nvim -u $W/init.lua -i NONE -n $W/snd_demo.c"
sleep 6
$T send-keys -t neovim ":72" Enter; sleep 0.5; $T send-keys -t neovim "zz"; sleep 0.3
$T send-keys -t neovim ":lua vim.diagnostic.open_float()" Enter; sleep 1.5
shoot neovim "Neovim 0.11 — kernlint (clients/neovim), examples/snd_demo.c"
$T new-session -d -s emacs -x 132 -y 42 "TERM=xterm-256color emacs -nw -q -l $W/init.el $W/snd_demo.c"
sleep 9
$T send-keys -t emacs M-g g "72" Enter; sleep 1; $T send-keys -t emacs C-l; sleep 0.5
$T send-keys -t emacs M-x "flymake-show-buffer-diagnostics" Enter; sleep 2
shoot emacs "Emacs 28 + eglot — kernlint (clients/emacs/kernlint-eglot.el), examples/snd_demo.c"
echo "written docs/img/neovim.png docs/img/emacs.png"
