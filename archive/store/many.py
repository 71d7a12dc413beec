"""Validation for writes staged by the thousand (``Transaction.update_many`` and ``log_many``).

Every document is still validated against its whole schema before it reaches disk, by the same
compiled validator rules as ``schema.validate``. What differs is the cost of the format checks:
they are Python functions jsonschema-rs calls back for every string with a format, and a verify
of 10,000 bags writes 20,000 documents whose formatted strings are nearly all the same few values
(the event vocabulary's URIs, the agent, today's timestamps). The checks are pure functions of
their value, so their verdicts are remembered per process (bounded), and a fault is still
explained, in the same words, by ``schema.validate``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from archive.errors import ValidationError

if TYPE_CHECKING:
    import jsonschema_rs

VERDICTS = 4096
"""Verdicts remembered per format check; beyond it a check simply runs again."""


def _remembered(check: Callable[[object], bool]) -> Callable[[object], bool]:
    verdicts: dict[str, bool] = {}

    def remembered(value: object) -> bool:
        if not isinstance(value, str):
            return check(value)
        verdict = verdicts.get(value)
        if verdict is None:
            verdict = bool(check(value))
            if len(verdicts) < VERDICTS:
                verdicts[value] = verdict
        return verdict

    return remembered


@cache
def _validator(name: str) -> jsonschema_rs.Draft202012Validator:
    from archive import schema
    from archive.resources import load_json

    formats = {fmt: _remembered(check) for fmt, check in schema.FORMAT_CHECKS.items()}
    return schema.jsonschema_rs_module().Draft202012Validator(
        load_json(f"{name}.schema.json"), formats=formats, validate_formats=True)


def validate_many(documents: Iterable[dict[str, Any]], name: str = "record") -> None:
    """Raise ``ValidationError`` for the first document that does not match schema ``name``,
    with ``schema.validate``'s lines for it."""
    validator = _validator(name)
    for document in documents:
        if not validator.is_valid(document):
            from archive import schema

            schema.validate(document, name)  # the plain-words lines for it
            raise ValidationError([f"({name}): does not match the schema"])  # pragma: no cover
