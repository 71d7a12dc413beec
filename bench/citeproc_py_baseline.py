"""The engine the archive used before citeproc-js, kept as the benchmark's baseline.

citeproc-py 0.11.1 with the archive's two corrections, formatting exactly as
archive/citation/formatted.py did until citeproc-js replaced it (plain text, whitespace
collapsed). ``bench_citations.py`` compares both engines with the golden strings.

The two corrections, applied once before any citation is formatted:

Without them every authorless article (common for newspaper pieces) prints its title twice,
and styles that label the edition print a stray "Edition." for articles that have none:

- CSL says a variable used by ``cs:substitute`` is suppressed in the rest of the entry. citeproc-py
  suppresses it only when the substitute calls the variable directly, not through a macro, which
  is how every major style substitutes the title. The fix suppresses ``title`` when what the
  substitute rendered (through a macro or a choose) is the title.
- CSL says ``cs:label`` renders only when its variable is not empty. citeproc-py renders the term
  regardless. The fix returns nothing for an empty variable.
"""

from __future__ import annotations

import warnings
from functools import cache

from citeproc import model
from citeproc.model import VariableError

_TEXT_TAG = "{http://purl.org/net/xbiblio/csl}text"


def _macro_variables(element) -> set[str]:
    """Variables an element calls, following macros (styles nest them)."""
    found: set[str] = set()
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        if node.get("variable"):
            found.update(node.get("variable").split())
        if node.get("macro") and node is not element:
            found |= _macro_variables(node.get_macro(node.get("macro")))
    if element.get("macro"):
        found |= _macro_variables(element.get_macro(element.get("macro")))
    return found


def _title_of(item) -> str:
    try:
        return str(item.reference.title).lower()
    except VariableError:
        return ""


def _substitute_render(self, item, context=None, **kwargs):
    """citeproc-py's ``Substitute.render``, also suppressing a title that a macro substituted."""
    for child in self.getchildren():
        try:
            if isinstance(child, model.Names) and child.name is None:
                names = self.xpath_search("./parent::cs:names[1]")[0]
                text = child.render(item, names_context=names, context=context, **kwargs)
            else:
                text = child.render(item, context=context, **kwargs)
        except VariableError:
            continue
        if text:
            self.add_to_repressed_list(child, context)
            title = _title_of(item)
            if title and title[:40] in str(text).lower() and "title" in _macro_variables(child):
                context.get_layout().repressed.setdefault(_TEXT_TAG, []).append("title")
            return text
    return None


def _label_process(self, item, variable=None, plural=None, context=None, **kwargs):
    name = variable or self.get("variable")
    if name and name != "locator":
        try:
            if not item.reference[name.replace("-", "_")]:
                return None
        except VariableError:
            return None
    return _original_label(self, item, variable=variable, plural=plural, context=context, **kwargs)


_original_label = model.Label.process


def apply() -> None:
    """Install the fixes (idempotent)."""
    if model.Substitute.render is not _substitute_render:
        model.Substitute.render = _substitute_render
        model.Label.process = _label_process


@cache
def _style(style_file: str, locale: str):
    from citeproc import CitationStylesStyle

    apply()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return CitationStylesStyle(style_file, validate=False, locale=locale)


def bibliography(items: list[dict], style_file: str, locale: str = "en-US") -> list[tuple[str, str]]:
    """``(id, text)`` pairs in the style's order, as the archive's citeproc-py code made them."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # citeproc-py warns about CSL variables it does not use
        bib = CitationStylesBibliography(_style(style_file, locale), CiteProcJSON(items), formatter.plain)
        for item in items:
            bib.register(Citation([CitationItem(item["id"])]))
        bib.sort()
        texts = [" ".join(str(entry).split()) for entry in bib.bibliography()]
    by_key = {item["id"].lower(): item["id"] for item in items}
    return [(by_key[str(item.key).lower()], text) for item, text in zip(bib.items, texts, strict=True)]
