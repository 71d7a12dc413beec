"""TeX escaping for .bib values, so titles with & or % do not break a LaTeX run."""

from __future__ import annotations

from archive.creators import format_creator

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def escape(text: str) -> str:
    """Escape TeX specials; Unicode letters stay (biber and modern bibtex read UTF-8)."""
    return "".join(_SPECIAL.get(c, c) for c in text)


def bib_names(names: list[dict]) -> str:
    """Names joined by ``and``; an organisation is braced so it is never split into parts."""
    parts = []
    for name in names:
        if "literal" in name:
            parts.append("{" + escape(name["literal"]) + "}")
        else:
            parts.append(escape(format_creator(name)))
    return " and ".join(parts)


def bib_entry(entry_type: str, key: str, fields: list[tuple[str, str]]) -> str:
    """One entry; values are already escaped (URLs are left raw, as the url package expects)."""
    width = max((len(name) for name, _ in fields), default=0)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{key},\n{body}\n}}\n"
