"""The ``archive`` command: a thin layer over the library.

Each ``*_commands.py`` module in this package registers one group of subcommands, so a feature's
commands live beside nothing else. Exit codes: 0 ok, 1 the operation found a problem, 2 usage.

Start-up matters (a shell loop runs ``archive`` once per file): a run builds the argument parser
of the one command it was given, from its module alone; every other command is a bare name with
its one-line help from ``COMMANDS``, which is all ``archive --help`` shows. Only when the command
cannot be told from the arguments (an abbreviated or unknown option before it) is every module
imported and every parser built, exactly as argparse would see them.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from archive import __version__

COMMANDS: dict[str, tuple[str, str]] = {
    # name: (the module of archive.cli that registers it, the help line ``archive --help`` shows)
    "init": ("catalog_commands", "create an archive"),
    "add": ("catalog_commands", "catalogue one article file"),
    "import": ("catalog_commands", "catalogue every .txt/.md/.html file in a folder"),
    "list": ("catalog_commands", "list records"),
    "show": ("catalog_commands", "show one record"),
    "search": ("catalog_commands", "search metadata (and with --text, the texts)"),
    "edit": ("catalog_commands", "change a record's metadata"),
    "deaccession": ("catalog_commands", "withdraw a record (nothing is deleted)"),
    "history": ("catalog_commands", "a record's preservation events"),
    "capture": ("capture_commands", "capture web pages (WARC) and catalogue them"),
    "recapture": ("capture_commands", "fetch captured pages again; record what changed"),
    "diff": ("capture_commands", "the words that changed between a capture and its recapture"),
    "bag": ("bag_commands", "write a BagIt bag of each record that is new or changed"),
    "deposit": ("bag_commands", "serialise the newest bag of records for deposit"),
    "ingest": ("bag_commands", "accept a bag made elsewhere (folder, .tar, .tar.gz or .zip)"),
    "restore": ("restore_commands", "rebuild a whole archive in DIR from one replica"),
    "verify": ("fixity_commands", "check the fixity of the archive's bags (all, or of the IDs given)"),
    "audit": ("fixity_commands", "verify the bags whose last full check is oldest first (for cron)"),
    "validate-bag": ("fixity_commands", "check any BagIt bag on disk against RFC 8493"),
    "repair": ("repair_commands", "repair failing bags and working copies from a replica (or, with "
               "--replica, a replica from the local archive)"),
    "replica": ("replica_commands", "add, list, remove or clean replicas (copies on a folder, SFTP or S3)"),
    "replicate": ("replica_commands", "copy every bag version (and sources, and a catalogue snapshot) "
                  "that a replica lacks; only adds, never deletes"),
    "export": ("citation_commands", "citations (csl-json, bibtex, biblatex, ris, text) or the catalogue "
               "(csv, jsonl)"),
    "references": ("citation_commands", "the sources an article cites (detected or confirmed)"),
    "tui": ("app_commands", "open the terminal UI (the default with no command)"),
    "demo": ("demo_commands", "build a demo archive from records/ (bagged, verified) and open it"),
}
"""Every command in the order ``archive --help`` lists them (the modules' ORDER, then the order
each module registers them). tests/test_startup_imports.py checks it against the modules."""

DESCRIPTION = ("Catalogue articles, preserve them as BagIt bags, verify and deposit them. "
               "With no command, opens the terminal UI.")
DEFAULT_COMMAND = "tui"
"""What ``archive`` with no command runs, as archivists expect."""


def _command_modules() -> list:
    """Every ``*_commands`` module here, found by name (pkgutil costs start-up time), in ORDER."""
    names = sorted({n.partition(".")[0] for folder in __path__ for n in os.listdir(folder)
                    if n.partition(".")[0].endswith("_commands") and n.endswith((".py", ".pyc"))})
    modules = [importlib.import_module(f"{__name__}.{name}") for name in names]
    return sorted(modules, key=lambda m: getattr(m, "ORDER", 50))


def command_named(argv: Sequence[str]) -> str | None:
    """The command these arguments run, as argparse will read them, or None when that cannot be
    told without parsing (an option the top level does not spell out in full, such as ``--ro``
    for ``--root``, or ``--`` before the command). With no command at all: ``DEFAULT_COMMAND``;
    with ``-h`` or ``--version`` before any command: '' (no command's parser is needed)."""
    args = iter(argv)
    for arg in args:
        if arg in ("-h", "--help", "--version"):
            return ""
        if arg == "--root":
            next(args, None)
        elif arg.startswith("--root="):
            continue
        elif arg.startswith("-"):
            return None
        else:
            return arg if arg in COMMANDS else None
    return DEFAULT_COMMAND


def _columns() -> int:
    """``shutil.get_terminal_size().columns``: $COLUMNS, else the terminal's width, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's own formatter, given the width it would compute: argparse makes one for every
    ``add_argument`` and, left to itself, imports shutil (with bz2, lzma, fnmatch) to ask the
    terminal's width, a few ms of every run's start-up (issue 13)."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        width = _columns() - 2 if width is None else width  # argparse takes 2 off the terminal's
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose help is formatted by ``_Formatter`` unless a command asks for
    another formatter; the subcommands' parsers are made of this class too."""

    def __init__(self, *args: Any, formatter_class: type[argparse.HelpFormatter] = _Formatter,
                 **kwargs: Any) -> None:
        super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """argparse's own message repeats every unrecognised word, and the word after an unknown
        option may be a secret someone tried to pass (a key, a password): credentials never come
        from the command line, and no secret is echoed to output or logs. So the unknown options
        are named and their values only counted."""
        known, extras = self.parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {_named_without_values(extras)}")
        return known


def _named_without_values(words: list[str]) -> str:
    """``--key VALUE --token=X stray`` -> ``--key --token stray (2 values not shown)``: a word
    right after an unknown option, or after its ``=``, is taken for that option's value."""
    shown: list[str] = []
    hidden = 0
    after_option = False
    for word in words:
        if word.startswith("-") and len(word) > 1:
            name, equals, _value = word.partition("=")
            shown.append(name)
            hidden += bool(equals)
            after_option = not equals
        elif after_option:
            hidden += 1
            after_option = False
        else:
            shown.append(word)
    if hidden:
        shown.append(f"({hidden} value{'s' if hidden > 1 else ''} not shown)")
    return " ".join(shown)


class _Unused:
    """Takes every call a module's ``register`` makes on a command that is not being run."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self


class _OneCommand:
    """The subparsers action as a module's ``register`` sees it when only ``name`` is built."""

    def __init__(self, sub: argparse._SubParsersAction, name: str) -> None:
        self.sub, self.name = sub, name

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        return self.sub.add_parser(name, **kwargs) if name == self.name else _Unused()


def _untranslated_if_no_catalogue() -> None:
    """argparse passes each of its messages through gettext, which looks for a message catalogue
    on disk on every call (some 56 calls, 4 stats each, in one run). Looked for once here: when
    there is none (Python ships none for argparse's messages), argparse is given gettext's own
    answer without the search: the message as it is. A catalogue that exists is used as before."""
    import gettext

    domain = gettext.textdomain()
    folder = gettext.bindtextdomain(domain)
    # No folder, no catalogue: gettext.find would say so after importing locale (a millisecond)
    # to expand the language names it then looks for in the folder.
    if not os.path.isdir(folder) or gettext.find(domain, folder) is None:
        argparse._ = _as_is  # type: ignore[attr-defined]
        argparse.ngettext = _as_is_plural  # type: ignore[attr-defined]


def _as_is(message: str) -> str:
    return message


def _as_is_plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural  # gettext.NullTranslations.ngettext


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser. ``command`` (a name in COMMANDS): only that command's parser is built
    in full, the others are named with their help; '' none is; None (the default): every one."""
    _untranslated_if_no_catalogue()
    parser = _Parser(prog="archive", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"article-archive {__version__}")
    parser.add_argument("--root", help="the archive folder (default: $ARCHIVE_ROOT, else the "
                        "nearest parent folder holding archive.toml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command is None:
        for module in _command_modules():
            module.register(sub)
        return parser
    for name, (module_name, help_line) in COMMANDS.items():
        if name == command:  # __import__, unlike importlib.import_module, shows in -X importtime
            module = __import__(f"{__name__}.{module_name}", fromlist=["register"])
            module.register(_OneCommand(sub, name))
        else:
            sub.add_parser(name, help=help_line, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_named(argv))
    args = parser.parse_args(argv)
    if args.command is None:  # no command: the terminal UI, as archivists expect
        args = parser.parse_args([*argv, DEFAULT_COMMAND])
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    from archive.cli.common import EXIT_PROBLEM, run_handler

    try:
        code = run_handler(handler, args)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PROBLEM
    return code if code is not None else 0


QUICK_EXIT = frozenset({"list", "show", "search", "history", "add"})
"""Commands run with the cyclic garbage collector off and ended without the interpreter's
teardown (``_end_without_teardown``): the read-only ones people run in loops, and ``add``. Each
is short and makes next to no cycles (the rows it reads are JSON values), so the collector's
passes over what its imports create only cost time (5-10 ms); each writes only through files it
closes itself (atomic writes, ``with`` blocks) and leaves no thread behind."""

_EXIT_CODE: list[int] = []


def entry() -> None:
    argv = sys.argv[1:]
    if command_named(argv) in QUICK_EXIT:
        gc.disable()
        atexit.register(_end_without_teardown)  # registered first, so it runs after every other
    code = main(argv)
    _EXIT_CODE.append(code)
    sys.exit(code)


def _end_without_teardown() -> None:
    """The last exit handler of a command in QUICK_EXIT: the others have run (the verdict caches
    of archive/schema.py are written, logging is flushed), and what Python would do next is free
    every object and module one by one, 10 ms of an ``add`` or a ``search``, 0.3 s after listing
    100,000 records, that nothing reads (bench/bench_startup.py). So the output is flushed and
    the process ends here with main's exit code. When main did not return (argparse's own exits,
    an interrupt) or the output cannot be flushed, Python ends as it always did."""
    if not _EXIT_CODE:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(_EXIT_CODE[0])


__all__ = ["COMMANDS", "build_parser", "command_named", "entry", "main"]
