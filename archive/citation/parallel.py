"""A big bibliography formatted in two parts at once, one citeproc-js engine each, put back in order.

citeproc-js formats a bibliography on one thread, about 4 ms of CPU an APA entry, and the machine
has two cores. An entry depends on the others only through:

- disambiguation: entries whose in-text citations read alike ("Smith & Staff, 2016") get year
  suffixes, more names or given names. Only entries in one "ambiguity pool" (the same rendered
  citation) affect each other, and a citation starts with its first name (or, with no name, the
  title standing in for it); with a global given-name rule (``all-names``) every name counts;
- the order: the registry sorts by each entry's sort keys (rendered without disambiguation), ties
  by place in the list;
- ``subsequent-author-substitute`` (an entry reads its neighbour) and ``citation-number`` (an
  entry's number is its place), which tie every entry to the whole list.

So the items are grouped by the words of every first name (and of every name, under a global
rule), or of the title, container and publisher when there is none, any shared word joining two
groups; the groups go into two parts of about equal size, each part is formatted by its own engine
in its own thread (mini-racer runs V8 off the GIL), and the entries are put back in citeproc-js's
order by citeproc-js's own comparison of their sort keys (bridge.js ``order``). Styles using
either whole-list feature, and styles not proven here, are formatted whole.

tests/test_citation_engine_speed.py holds the proof this rests on: every offered style, the
golden collection and the bench's 1,000 records, parts against the whole, string for string.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from archive.citation.options import STYLES

MIN_ITEMS = 300
"""Below this, a second engine's build (about a second for APA) costs more than it saves."""
PROVEN_STYLES = frozenset(STYLES) - {"mla", "ieee", "chicago-note-bibliography"}
"""The offered styles formatted in parts (mla substitutes a repeated author, ieee numbers its
entries: both read the whole list; chicago-note-bibliography leaves authorless, placeless items out,
and then citeproc-js's answer does not say which entry is whose); every one is checked against the
whole."""
WHOLE_LIST_FEATURES = ("subsequent-author-substitute", "citation-number")
GLOBAL_NAME_RULE = re.compile(r'givenname-disambiguation-rule="all-names')
_WORD = re.compile(r"[^\W_]+")

Part = list[tuple[int, dict]]


def can_split(style_name: str, style_xml: str, count: int) -> bool:
    """Whether a bibliography of ``count`` items in this style is formatted in two parts."""
    return (
        count >= MIN_ITEMS
        and style_name in PROVEN_STYLES
        and not any(feature in style_xml for feature in WHOLE_LIST_FEATURES)
    )


def _normal(text: object) -> str:
    return "".join(_WORD.findall(str(text).casefold()))


def _name_words(name: dict) -> set[str]:
    text = " ".join(str(name.get(part, "")) for part in ("family", "literal"))
    words = {w for w in _WORD.findall(text.casefold())}
    return words | {_normal(text)} if words else set()


def tokens(item: dict, every_name: bool) -> set[str]:
    """What could make this item's citation read like another's (see the module's note)."""
    found: set[str] = set()
    for value in item.values():
        if isinstance(value, list) and value and all(isinstance(n, dict) for n in value):
            for name in value if every_name else value[:1]:
                found |= _name_words(name)
    if not found:
        for variable in ("title", "container-title", "publisher"):
            if item.get(variable):
                title = str(item[variable])
                found |= {_normal(title), _normal(title.split(":")[0])} - {""}
    return found or {"\0untitled"}


def groups(items: list[dict], every_name: bool) -> list[list[int]]:
    """Item indexes joined wherever their tokens meet (union-find), each group in list order."""
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for index, item in enumerate(items):
        for token in tokens(item, every_name):
            if token in owner:
                parent[root(index)] = root(owner[token])
            else:
                owner[token] = index
    joined: dict[int, list[int]] = {}
    for index in range(len(items)):
        joined.setdefault(root(index), []).append(index)
    return list(joined.values())


def split(items: list[dict], style_xml: str) -> list[Part]:
    """Two parts of about equal size that share no group; one part when there is a single group."""
    every_name = bool(GLOBAL_NAME_RULE.search(style_xml))
    parts: list[list[int]] = [[], []]
    for group in sorted(groups(items, every_name), key=len, reverse=True):
        min(parts, key=len).extend(group)
    return [[(i, items[i]) for i in sorted(part)] for part in parts if part]


Keyed = list[tuple[str, str, list]] | None


def formatted_in_parts(
    items: list[dict],
    style_xml: str,
    keyed: Callable[[int, list[dict]], Keyed],
    order: Callable[[list[tuple[list, int]]], list[int]],
) -> list[tuple[str, str]] | None:
    """``(id, text)`` in citeproc-js's order, the parts formatted at once by ``keyed(engine number,
    items)`` (bridge.js ``bibliographyKeyed``) and put in order by ``order`` (bridge.js ``order``);
    None when the items do not split or a part's entries cannot be told apart (``keyed`` gave None:
    the style left an entry out)."""
    parts = split(items, style_xml)
    if len(parts) < 2:
        return None
    results: list[Keyed] = [None] * len(parts)
    errors: list[BaseException] = []

    def run(number: int) -> None:
        try:
            results[number] = keyed(number, [item for _, item in parts[number]])
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    helper = threading.Thread(target=run, args=(1,), name="citeproc-js part 2")
    helper.start()
    run(0)
    helper.join()
    if errors:
        raise errors[0]
    if any(result is None for result in results):
        return None  # the style left an entry out of a part: format the whole list instead
    rows: list[tuple[list, int]] = []
    entries: list[tuple[str, str]] = []
    for part, result in zip(parts, results, strict=True):
        seq = {item["id"]: index for index, item in part}
        for entry_id, text, keys in result or []:
            rows.append((keys, seq[entry_id] + 1))
            entries.append((entry_id, text))
    return [entries[row] for row in order(rows)]
