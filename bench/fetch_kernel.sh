#!/usr/bin/env bash
# Fetch and extract the pinned Debian kernel source used by the benchmarks.
#
# Idempotent: re-running reuses the downloaded .deb and the extracted tree.
# Everything lands OUTSIDE the repository, in $KERNLINT_KCACHE
# (default: ~/.cache/kernlint/linux-6.12.117). The last line printed on
# stdout is the path of the extracted tree (the directory holding sound/).
#
# Environment:
#   KERNLINT_KCACHE      cache directory
#   KERNLINT_KDEB_DIRS   colon-separated dirs searched for an already
#                        downloaded .deb (default: /work/kcache)
#   KERNLINT_KPARTS      top-level dirs to extract
#                        (default: "sound drivers scripts/coccinelle include")
set -euo pipefail

PKG=linux-source-6.12
VER=6.12.117-1~deb12u1
UPSTREAM=6.12.117
CACHE=${KERNLINT_KCACHE:-$HOME/.cache/kernlint/linux-$UPSTREAM}
DEB_DIRS=${KERNLINT_KDEB_DIRS:-/work/kcache}
PARTS=${KERNLINT_KPARTS:-"sound drivers scripts/coccinelle include"}
DEB_NAME="${PKG}_${VER}_all.deb"

log() { echo "fetch_kernel: $*" >&2; }

mkdir -p "$CACHE"
cd "$CACHE"

# 1. The .deb: reuse one already downloaded, else apt-get download.
if [[ ! -s "$DEB_NAME" ]]; then
    found=""
    IFS=: read -r -a dirs <<<"$DEB_DIRS"
    for d in "${dirs[@]}"; do
        if [[ -s "$d/$DEB_NAME" ]]; then found="$d/$DEB_NAME"; break; fi
    done
    if [[ -n "$found" ]]; then
        log "reusing $found"
        ln -sf "$found" "$DEB_NAME"
    else
        log "downloading $PKG=$VER"
        apt-get download "$PKG=$VER" >&2
    fi
fi

# 2. Unpack the .deb (only the tarball matters).
if [[ ! -d deb ]] || ! compgen -G "deb/usr/src/linux-source-*.tar.*" >/dev/null; then
    log "unpacking $DEB_NAME"
    rm -rf deb.tmp && mkdir deb.tmp
    dpkg-deb -x "$DEB_NAME" deb.tmp
    rm -rf deb && mv deb.tmp deb
fi
TARBALL=$(compgen -G "deb/usr/src/linux-source-*.tar.*" | head -n1)
TOP=$(basename "$TARBALL"); TOP=${TOP%%.tar.*}   # linux-source-6.12

# 3. Extract only the parts we need from the tarball.
STAMP="$TOP/.kernlint-extracted"
want="$PARTS"
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$want" ]]; then
    log "extracting $want from $TARBALL"
    members=()
    for p in $PARTS; do members+=("$TOP/$p"); done
    tar -xf "$TARBALL" "${members[@]}"
    # Top-level files some tools look for (Makefile, COPYING) are tiny.
    tar -xf "$TARBALL" "$TOP/Makefile" 2>/dev/null || true
    echo "$want" >"$STAMP"
fi

TREE="$CACHE/$TOP"

# 4. Size of sound/ (.c and .h files, lines).
if [[ -d "$TREE/sound" ]]; then
    count_lines() { find "$TREE/sound" -type f "$@" -print0 | xargs -0 cat | wc -l; }
    nfiles=$(find "$TREE/sound" -type f \( -name '*.c' -o -name '*.h' \) | wc -l)
    nc=$(find "$TREE/sound" -type f -name '*.c' | wc -l)
    nlines=$(count_lines \( -name '*.c' -o -name '*.h' \))
    nclines=$(count_lines -name '*.c')
    log "sound/: $nfiles .c/.h files, $nlines lines; $nc .c files, $nclines lines"
    printf '{"tree": "%s", "version": "%s", "sound_files": %d, "sound_lines": %d, "sound_c_files": %d, "sound_c_lines": %d}\n' \
        "$TREE" "$VER" "$nfiles" "$nlines" "$nc" "$nclines" >"$CACHE/stats.json"
fi

echo "$TREE"
