"""Record and event validation against the shipped JSON Schemas, with plain messages.

jsonschema's own messages quote whole values and speak of instances; an archivist needs one line
per problem that names the field path (``creators[0].family: expected a string``). The same lines
serve the CLI and the TUI form, which places each under the field it names.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archive.errors import ValidationError
from archive.resources import load_json

if TYPE_CHECKING:
    import jsonschema
    import jsonschema_rs

# Start-up: jsonschema (with its format checkers), jsonschema-rs, langcodes' tables and rfc3987
# are imported when a document is first validated, not when this module is, so commands that
# only read the catalogue (list, show, search) never pay for them.

PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
RIGHTS_RE = re.compile(r"^https?://rightsstatements\.org/vocab/[A-Za-z-]+/1\.0/$")
DATETIME_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
)
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

FORMAT_HINTS = {
    "partial-date": "not a valid date (use YYYY, YYYY-MM or YYYY-MM-DD)",
    "date-time": "not a valid timestamp (use YYYY-MM-DDThh:mm:ssZ)",
    "uri": "not a valid absolute URI (such as https://example.org/page)",
    "email": "not a valid e-mail address",
    "bcp47": "not a valid BCP 47 language tag (such as en, fr or pt-BR)",
    "rightsstatements-uri": (
        "not a rightsstatements.org URI (such as http://rightsstatements.org/vocab/InC/1.0/)"
    ),
    "uuid": "not a valid UUID",
}

TYPE_NAMES = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "object": "an object",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
}

def is_partial_date(value: object) -> bool:
    """Dates as archivists know them: a year, a month, or a day, and a real one."""
    if not isinstance(value, str):
        return True
    match = PARTIAL_DATE_RE.match(value)
    if not match:
        return False
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is not None and not 1 <= month <= 12:
        return False
    if day is not None:
        try:
            date(year, month, day)
        except ValueError:
            return False
    return True


def is_timestamp(value: object) -> bool:
    return not isinstance(value, str) or bool(DATETIME_RE.match(value))


def is_uri(value: object) -> bool:
    """An absolute URI by RFC 3986, with a scheme and, for the web, a host."""
    if not isinstance(value, str):
        return True
    if any(c.isspace() for c in value):
        return False
    import rfc3987

    try:
        parts = rfc3987.parse(value, rule="URI")
    except ValueError:
        return False
    return not (parts["scheme"] in ("http", "https") and not parts["authority"])


def is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(EMAIL_RE.match(value))


def is_language_tag(value: object) -> bool:
    """langcodes' verdict, remembered between runs: importing langcodes compiles its tables
    (a regex of every registered subtag), which costs more than a whole ``archive add``."""
    if not isinstance(value, str):
        return True
    verdicts = _language_verdicts()
    known = verdicts.get(value)
    if isinstance(known, bool):
        return known
    import langcodes

    verdict = bool(langcodes.tag_is_valid(value))
    _remember_language(verdicts, value, verdict)
    return verdict


LANGUAGE_CACHE_ENTRIES = 4096
"""At most this many tags are remembered; archives use a handful."""


@cache
def _language_cache_file() -> Path | None:
    """The verdict file for the installed langcodes (named by the size and time of its data
    module, so an upgrade starts afresh), in $ARCHIVE_CACHE_DIR or the user's cache folder."""
    import importlib.util

    spec = importlib.util.find_spec("langcodes")
    if spec is None or spec.origin is None:
        return None
    try:
        data = os.stat(Path(spec.origin).with_name("data_dicts.py"))
    except OSError:
        return None
    folder = os.environ.get("ARCHIVE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "article-archive")
    return Path(folder) / f"bcp47-verdicts-{data.st_size}-{data.st_mtime_ns}.json"


@cache
def _language_verdicts() -> dict[str, bool]:
    path = _language_cache_file()
    try:
        loaded = json.loads(path.read_bytes()) if path else {}
    except (OSError, ValueError):
        return {}  # no cache yet, or a damaged one: langcodes decides and the file is rewritten
    return {k: v for k, v in loaded.items() if isinstance(v, bool)} if isinstance(loaded, dict) else {}


def _remember_language(verdicts: dict[str, bool], tag: str, verdict: bool) -> None:
    """Save the verdict (atomically; a cache that cannot be written is simply not kept)."""
    verdicts[tag] = verdict
    path = _language_cache_file()
    if path is None or len(verdicts) > LANGUAGE_CACHE_ENTRIES:
        return
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(verdicts, ensure_ascii=True), encoding="ascii")
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()


def is_rights_statement(value: object) -> bool:
    return not isinstance(value, str) or bool(RIGHTS_RE.match(value))


def is_uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(UUID_RE.match(value))


@cache
def _format_checker() -> jsonschema.FormatChecker:
    """jsonschema's checker holding exactly FORMAT_CHECKS, the same checks jsonschema-rs runs."""
    import jsonschema

    checker = jsonschema.FormatChecker(formats=())
    for name, check in FORMAT_CHECKS.items():
        checker.checks(name)(check)
    return checker


@cache
def _validator(name: str) -> jsonschema.Draft202012Validator:
    import jsonschema

    schema = load_json(f"{name}.schema.json")
    return jsonschema.Draft202012Validator(schema, format_checker=_format_checker())


def field_path(parts: Any) -> str:
    """``['creators', 0, 'family']`` as ``creators[0].family``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _describe(error: jsonschema.ValidationError) -> tuple[str, str]:
    """One (path, reason) for a jsonschema error, in words an archivist uses."""
    path = list(error.absolute_path)
    keyword = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "a field"
        return field_path([*path, missing]), "is required"
    if keyword == "additionalProperties":
        extras = sorted(set(error.instance) - set(schema.get("properties", {})))
        return field_path([*path, extras[0]] if extras else path), "unknown field"
    if keyword == "type":
        wanted = error.validator_value
        wanted = wanted if isinstance(wanted, list) else [wanted]
        return field_path(path), "expected " + " or ".join(TYPE_NAMES.get(w, w) for w in wanted)
    if keyword == "format":
        return field_path(path), FORMAT_HINTS.get(error.validator_value, "has the wrong format")
    if keyword == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return field_path(path), f"must be one of: {options}"
    if keyword in ("pattern", "anyOf") and "x-message" in schema:
        return field_path(path), schema["x-message"]
    if keyword == "minLength":
        return field_path(path), "must not be empty"
    if keyword == "maxLength":
        return field_path(path), f"is longer than {error.validator_value} characters"
    if keyword == "minimum":
        return field_path(path), f"must be at least {error.validator_value}"
    if keyword == "uniqueItems":
        return field_path(path), "has the same entry twice"
    return field_path(path), error.message.splitlines()[0][:200]


def problems(document: dict, schema: str = "record") -> list[str]:
    """Every fault of ``document`` as ``path: reason`` lines, sorted by where they occur.

    jsonschema-rs decides first (``validate`` trusts the same verdict); jsonschema, which takes
    a third of a second to import and build, is asked only when there is something to explain.
    """
    if _fast_validator(schema).is_valid(document):
        return []
    seen: list[str] = []
    errors = sorted(_validator(schema).iter_errors(document), key=lambda e: list(map(str, e.path)))
    for error in errors:
        path, reason = _describe(error)
        line = f"{path or '(record)'}: {reason}"
        if line not in seen:
            seen.append(line)
    return seen


def partial_problems(document: dict, schema: str = "record") -> list[str]:
    """The faults of some of a document's fields (given on the command line, in a sidecar, in a
    form): every line of ``problems`` except the fields it lacks (``...: is required``).

    When jsonschema-rs finds nothing but missing fields, there is nothing to explain and
    jsonschema is never loaded; otherwise the lines are ``problems``' own, word for word.
    """
    import jsonschema_rs

    missing = jsonschema_rs.ValidationErrorKind.Required
    if all(isinstance(error.kind, missing) for error in _fast_validator(schema).iter_errors(document)):
        return []
    return [line for line in problems(document, schema) if not line.endswith(": is required")]


def field_problems(document: dict, schema: str = "record") -> dict[str, list[str]]:
    """The same problems keyed by field path, for a form that shows each under its field."""
    grouped: dict[str, list[str]] = {}
    for line in problems(document, schema):
        path, _, reason = line.partition(": ")
        grouped.setdefault(path, []).append(reason)
    return grouped


FORMAT_CHECKS = {
    "partial-date": is_partial_date,
    "date-time": is_timestamp,
    "uri": is_uri,
    "email": is_email,
    "bcp47": is_language_tag,
    "rightsstatements-uri": is_rights_statement,
    "uuid": is_uuid,
}


@cache
def _fast_validator(name: str) -> jsonschema_rs.Draft202012Validator:
    """The same schema compiled by jsonschema-rs, with the same format checks.

    It answers "valid?" about 14 times faster than jsonschema (25 us against 350 us for a
    record), which matters when bagging or verifying thousands of records writes three
    documents each. tests/test_schema_validators.py holds both validators to the same verdicts.
    """
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(
        load_json(f"{name}.schema.json"), formats=FORMAT_CHECKS, validate_formats=True
    )


def validate(document: dict, schema: str = "record") -> None:
    """Raise ``ValidationError`` listing every fault; called before every write.

    The compiled validator decides; jsonschema, slower but with error paths we can turn into
    plain words, is asked only when there is something to explain.
    """
    if _fast_validator(schema).is_valid(document):
        return
    raise ValidationError(problems(document, schema) or ["(record): does not match the schema"])


def schema_document(name: str = "record") -> dict:
    """The parsed schema, for forms that build themselves from titles and descriptions."""
    return load_json(f"{name}.schema.json")
