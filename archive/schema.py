"""Record and event validation against the shipped JSON Schemas, with plain messages.

jsonschema's own messages quote whole values and speak of instances; an archivist needs one line
per problem that names the field path (``creators[0].family: expected a string``). The same lines
serve the CLI and the TUI form, which places each under the field it names.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from functools import cache
from itertools import islice
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from archive.errors import ValidationError
from archive.resources import cache_dir, load_json

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
    parts = _uri_parts(value)
    return parts is not None and not (parts[0] in ("http", "https") and not parts[1])


def _uri_parts(value: str) -> tuple[str, bool] | None:
    """rfc3987's reading of ``value`` as a URI: its scheme and whether it has an authority, or
    None when it is not one. Remembered between runs (``_Remembered``): rfc3987 compiles the
    RFC 3986 grammar on first use, longer than the rest of an ``archive add``, and every event
    names the same few URIs."""
    known = _URI_VERDICTS.get(value)
    if isinstance(known, list) and len(known) == 2:
        return str(known[0]), bool(known[1])
    if known is False:
        return None
    import rfc3987

    try:
        parsed = rfc3987.parse(value, rule="URI")
        parts: tuple[str, bool] | None = (str(parsed["scheme"]), bool(parsed["authority"]))
    except ValueError:
        parts = None
    _URI_VERDICTS.put(value, list(parts) if parts else False)
    return parts


def is_email(value: object) -> bool:
    return not isinstance(value, str) or bool(EMAIL_RE.match(value))


def is_language_tag(value: object) -> bool:
    """langcodes' verdict, remembered between runs (``_Remembered``): importing langcodes
    compiles its tables (a regex of every registered subtag), longer than a whole ``archive add``."""
    if not isinstance(value, str):
        return True
    known = _LANGUAGE_VERDICTS.get(value)
    if isinstance(known, bool):
        return known
    import langcodes

    verdict = bool(langcodes.tag_is_valid(value))
    _LANGUAGE_VERDICTS.put(value, verdict)
    return verdict


class _Remembered:
    """Verdicts of a slow-to-load library on values seen before, kept in a small JSON file.

    The file is named for the installed library (the size and time of ``data_file`` in its
    package), so an upgrade starts afresh; it lives in $ARCHIVE_CACHE_DIR, else the user's cache
    folder. It is a cache: a missing, damaged or unwritable file only means the library decides.
    """

    ENTRIES = 4096
    """At most this many values are remembered, the newest: archives use a handful of tags and
    event URIs, but every captured page's address is checked too, and a cache that stopped taking
    verdicts once full would send every later ``add`` back to rfc3987 for the event URIs."""
    WRITE_SECONDS = 2.0
    """After its first write in a run, the file is written at most this often (and at exit)."""

    def __init__(self, kind: str, module: str, data_file: str) -> None:
        self.kind, self.module, self.data_file = kind, module, data_file
        self._verdicts: dict[str, Any] | None = None
        self._path: Path | None = None
        self._lock = threading.Lock()  # validation runs in worker threads too (TUI, verify)
        self._dirty = self._at_exit = False
        self._written_at = float("-inf")

    def path(self) -> Path | None:
        if self._path is None:
            import importlib.util

            spec = importlib.util.find_spec(self.module)
            if spec is None or spec.origin is None:
                return None
            try:
                data = os.stat(Path(spec.origin).with_name(self.data_file))
            except OSError:
                return None
            self._path = cache_dir() / f"{self.kind}-verdicts-{data.st_size}-{data.st_mtime_ns}.json"
        return self._path

    def verdicts(self) -> dict[str, Any]:
        if self._verdicts is None:
            path = self.path()
            try:
                loaded = json.loads(path.read_bytes()) if path else {}
            except (OSError, ValueError):
                loaded = {}  # no cache yet, or a damaged one: the library decides, the file is rewritten
            self._verdicts = loaded if isinstance(loaded, dict) else {}
        return self._verdicts

    def get(self, value: str) -> Any:
        return self.verdicts().get(value)

    def put(self, value: str, verdict: Any) -> None:
        """Remember a verdict, dropping the oldest beyond ENTRIES. The file is written at once the
        first time (a one-record command keeps what it learnt), then at most every WRITE_SECONDS,
        and once more at exit: a run meeting thousands of new values (verify of records that each
        have their own URL) would otherwise rewrite the whole file for every one of them."""
        with self._lock:
            verdicts = self.verdicts()
            verdicts[value] = verdict
            for oldest in list(islice(verdicts, max(0, len(verdicts) - self.ENTRIES))):
                del verdicts[oldest]  # (a dict keeps the order its keys were put in)
            self._dirty = True
            due = time.monotonic() - self._written_at >= self.WRITE_SECONDS
            if not due and not self._at_exit:
                atexit.register(self.flush)
                self._at_exit = True
        if due:
            self.flush()

    def flush(self) -> None:
        """Write the verdicts not yet written (atomically; a file that cannot be written is not
        kept, and a process killed before this only loses verdicts the library can give again)."""
        with self._lock:
            if not self._dirty:
                return
            text = json.dumps(self.verdicts(), ensure_ascii=True)
            self._dirty, self._written_at = False, time.monotonic()
        path = self.path()
        if path is None:
            return
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text, encoding="ascii")
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()


_LANGUAGE_VERDICTS = _Remembered("bcp47", "langcodes", "data_dicts.py")
_URI_VERDICTS = _Remembered("uri", "rfc3987", "rfc3987.py")


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
    missing = jsonschema_rs_module().ValidationErrorKind.Required
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
    return jsonschema_rs_module().Draft202012Validator(
        load_json(f"{name}.schema.json"), formats=FORMAT_CHECKS, validate_formats=True
    )


_IMPORTING = threading.Lock()


def jsonschema_rs_module() -> ModuleType:
    """jsonschema-rs, imported without importing ``email.utils``.

    Its native module takes ``email.utils.parsedate_to_datetime`` when it is imported (and
    calls it once, on a date of its own), and ``email.utils`` brings socket, random, urllib and
    the e-mail charsets with it: 7 ms of CPU, more than jsonschema-rs itself, in every ``archive
    add`` (issue 13, bench/bench_startup.py). For that one import ``email.utils`` is a stand-in
    holding ``parsedate_to_datetime`` below, the same function on the same parser; any other name
    asked of it comes from the real module, imported then. The stand-in is taken out of
    ``sys.modules`` as soon as the import is over: everything else imports the real module.
    """
    module = sys.modules.get("jsonschema_rs")
    if module is not None:
        return module
    with _IMPORTING:
        if "email.utils" in sys.modules:  # already paid for
            import jsonschema_rs

            return jsonschema_rs
        stand_in = ModuleType("email.utils", "Stands in for email.utils while jsonschema_rs is imported.")
        stand_in.parsedate_to_datetime = parsedate_to_datetime  # type: ignore[attr-defined]
        stand_in.__getattr__ = _from_real_email_utils  # type: ignore[attr-defined]
        sys.modules["email.utils"] = stand_in
        try:
            import jsonschema_rs
        finally:
            if sys.modules.get("email.utils") is stand_in:
                del sys.modules["email.utils"]
        return jsonschema_rs


def parsedate_to_datetime(data: str) -> datetime:
    """``email.utils.parsedate_to_datetime`` as it is written there, on the parser it uses
    (``email._parseaddr``, a module of the same package without socket and the rest):
    tests/test_startup_imports.py holds the two to the same answers and the same errors."""
    from email._parseaddr import _parsedate_tz

    parsed = _parsedate_tz(data)
    if parsed is None:
        raise ValueError(f'Invalid date value or format "{data!s}"')
    *fields, offset = parsed
    if offset is None:
        return datetime(*fields[:6])
    return datetime(*fields[:6], tzinfo=timezone(timedelta(seconds=offset)))


def _from_real_email_utils(name: str) -> Any:
    """A name asked of the stand-in other than ``parsedate_to_datetime``: from the real
    ``email.utils`` (the stand-in is taken out of ``sys.modules`` so that it can be imported)."""
    import importlib

    sys.modules.pop("email.utils", None)
    return getattr(importlib.import_module("email.utils"), name)


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
