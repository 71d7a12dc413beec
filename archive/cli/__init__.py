"""The ``archive`` command: a thin layer over the library.

Each ``*_commands.py`` module in this package registers one group of subcommands, so a feature's
commands live beside nothing else. Exit codes: 0 ok, 1 the operation found a problem, 2 usage.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from archive import __version__
from archive.cli.common import EXIT_PROBLEM, fail, run_handler


def _command_modules() -> list:
    """Every ``*_commands`` module here, found by name (pkgutil costs start-up time). They are
    light: each imports the library its commands run on inside the handlers."""
    names = sorted({n.partition(".")[0] for folder in __path__ for n in os.listdir(folder)
                    if n.partition(".")[0].endswith("_commands") and n.endswith((".py", ".pyc"))})
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    return sorted(modules, key=lambda m: getattr(m, "ORDER", 50))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archive",
        description="Catalogue articles, preserve them as BagIt bags, verify and deposit them. "
        "With no command, opens the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"article-archive {__version__}")
    parser.add_argument("--root", help="the archive folder (default: $ARCHIVE_ROOT, else the "
                        "nearest parent folder holding archive.toml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # no command: the terminal UI, as archivists expect
        args = parser.parse_args([*argv, "tui"])
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code = run_handler(handler, args)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PROBLEM
    return code if code is not None else 0


def entry() -> None:
    sys.exit(main())


__all__ = ["build_parser", "entry", "fail", "main"]
