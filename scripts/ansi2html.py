"""Render a tmux pane captured with colours (`tmux capture-pane -e -p`) as an HTML page.

    python3 scripts/ansi2html.py PANE.ans "Title" > pane.html

Used by scripts/terminal-screenshots.sh to photograph Neovim and Emacs with headless
Chromium. Understands the SGR codes terminal editors use: reset, bold, underline, the 16
basic colours, 256-colour and 24-bit colours, foreground and background.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass

BASIC = ["#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5"]
BRIGHT = ["#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff"]
SGR = re.compile(r"(\x1b\[[0-9;]*m)")


def rgb(r: int, g: int, b: int) -> str:
    return f"#{r:02x}{g:02x}{b:02x}"


def colour_256(n: int) -> str:
    if n < 8:
        return BASIC[n]
    if n < 16:
        return BRIGHT[n - 8]
    if n < 232:
        n -= 16

        def level(v: int) -> int:
            return 0 if v == 0 else 55 + v * 40

        return rgb(level(n // 36), level((n // 6) % 6), level(n % 6))
    grey = 8 + (n - 232) * 10
    return rgb(grey, grey, grey)


@dataclass
class Style:
    fg: str | None = None
    bg: str | None = None
    bold: bool = False
    underline: bool = False

    def css(self) -> str:
        parts = []
        if self.fg:
            parts.append(f"color:{self.fg}")
        if self.bg:
            parts.append(f"background:{self.bg}")
        if self.bold:
            parts.append("font-weight:bold")
        if self.underline:
            parts.append("text-decoration:underline wavy #e5c07b")
        return ";".join(parts)

    def apply(self, codes: list[int]) -> None:
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.fg, self.bg, self.bold, self.underline = None, None, False, False
            elif c == 1:
                self.bold = True
            elif c == 22:
                self.bold = False
            elif c in (4, 21):
                self.underline = True
            elif c == 24:
                self.underline = False
            elif 30 <= c <= 37:
                self.fg = BASIC[c - 30]
            elif 90 <= c <= 97:
                self.fg = BRIGHT[c - 90]
            elif 40 <= c <= 47:
                self.bg = BASIC[c - 40]
            elif 100 <= c <= 107:
                self.bg = BRIGHT[c - 100]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                colour = None
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    colour = colour_256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    colour = rgb(*codes[i + 2:i + 5])
                    i += 4
                if c == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            i += 1


def render(text: str, title: str) -> str:
    style = Style()
    rows = []
    for line in text.split("\n"):
        row = []
        for part in SGR.split(line):
            m = SGR.fullmatch(part)
            if m:
                body = part[2:-1]
                style.apply([int(c) if c else 0 for c in body.split(";")] if body else [0])
            elif part:
                row.append(f'<span style="{style.css()}">{html.escape(part)}</span>')
        rows.append("".join(row))
    return ("<html><head><meta charset=\"utf-8\"><style>"
            "body{margin:0;background:#1e1e1e}"
            "pre{margin:0;padding:10px;font:14px/1.25 'DejaVu Sans Mono',monospace;"
            "color:#d4d4d4;background:#1e1e1e}"
            ".t{font:13px sans-serif;color:#aaa;padding:6px 10px;background:#2d2d2d}"
            f"</style></head><body><div class=\"t\">{html.escape(title)}</div>"
            f"<pre>{chr(10).join(rows)}</pre></body></html>")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: ansi2html.py PANE.ans TITLE > page.html", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        sys.stdout.write(render(f.read(), argv[2]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
