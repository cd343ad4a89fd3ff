"""`kernlint serve`: argument parsing only. pygls is imported when the command runs, so the
other subcommands (and `kernlint --help`) do not pay for it."""

from __future__ import annotations

import argparse
import logging
import sys


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def cmd_serve(args: argparse.Namespace) -> int:
    level = getattr(logging, args.log_level.upper())
    kernlint_log = logging.getLogger("kernlint")
    kernlint_log.setLevel(level)
    if args.log_file:
        fh = logging.FileHandler(args.log_file, encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s "
                                          "%(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(fh)
        root.setLevel(level)
        # pygls logs every message body at INFO: keep that for --log-level debug only
        logging.getLogger("pygls").setLevel(logging.DEBUG if level <= logging.DEBUG
                                            else logging.WARNING)
    if args.tcp is not None:
        from .server import serve

        serve(args.tcp)
        return 0
    from .fastinit import answer_initialize

    stdin, stdout = answer_initialize(sys.stdin.buffer, sys.stdout.buffer)
    from .server import serve

    serve(None, stdin, stdout)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    p = sub.add_parser("serve", help="run the language server (LSP over stdio or TCP)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (default)")
    mode.add_argument("--tcp", type=_host_port, metavar="HOST:PORT",
                      help="listen on a TCP port instead (one client)")
    p.add_argument("--log-file", help="also write the server log to this file")
    p.add_argument("--log-level", default="info",
                   choices=["debug", "info", "warning", "error"],
                   help="log level for the client's log and --log-file (default: info)")
    p.set_defaults(func=cmd_serve)
