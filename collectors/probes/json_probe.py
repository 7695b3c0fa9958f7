"""The `json` probe: a centre's status document (or one family of it) → readings.

`parse_json` is pure. A body that is not a JSON object, or is for another
centre, or holds none of the profile's fields, is refused whole (bad_payload);
a field of the wrong shape or an unknown state word is rejected alone.

Bodies are decoded by orjson (~4× cheaper than the standard library). Where the two could
differ — anything orjson refuses (NaN, Infinity, numbers beyond a double, lone surrogates,
UTF-16, a byte-order mark, deep nesting) and integers of 19 digits or more, which orjson may read
as floats — the standard library decodes the body as before, so what is kept, rejected or
refused, and why, is unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from collectors.mapping import JsonField, Profile
from collectors.probes.outcome import Fetch, Parsed, ProbeOutcome, outcome
from collectors.validate import Reading, show

MAX_LABELS = 512  # keys read from one map (e.g. procedures); a real centre runs ~400
_MISSING = object()
_LONG_DIGITS = re.compile(rb"[0-9]{19}")  # an integer orjson may read as a float


def _parse_int(text: str) -> int | float:
    # Integers too long for int() (Python limits digits) become floats: inf when huge,
    # which validation then refuses with a clear reason instead of losing the whole body.
    return int(text) if len(text) <= 300 else float(text)


def load(body: bytes) -> tuple[Any, str | None]:
    """The decoded JSON value, or why the body is not JSON."""
    if _LONG_DIGITS.search(body) is None:
        try:
            return orjson.loads(body), None
        except orjson.JSONDecodeError:
            pass  # the standard library decides, and says why
    try:
        return json.loads(body), None
    except RecursionError:
        return None, "not JSON: nested too deeply"
    except ValueError as exc:  # includes UnicodeDecodeError and JSONDecodeError
        if "digits" not in str(exc):
            return None, f"not JSON: {str(exc)[:120]}"
    try:  # an integer with thousands of digits: parse again, reading such integers as floats
        return json.loads(body, parse_int=_parse_int), None
    except (ValueError, RecursionError) as exc:
        return None, f"not JSON: {str(exc)[:120]}"


def _walk(
    node: Any, path: tuple[str, ...], start: int, end: int, where: list[str]
) -> tuple[Any, str | None]:
    """The value at path[start:end] below node: (_MISSING, None) when absent,
    (_MISSING, why) when something on the way is not an object."""
    for i in range(start, end):
        if not isinstance(node, dict):
            return _MISSING, f"{'.'.join(where + list(path[start:i]))}: not an object"
        node = node.get(path[i], _MISSING)
        if node is _MISSING:
            return _MISSING, None
    return node, None


def _state(
    f: JsonField, field: str, value: Any, readings: list[Reading], rejected: list[str]
) -> None:
    assert f.states is not None
    number = f.states.get(value) if isinstance(value, str) else None
    if number is None:
        rejected.append(
            f"{field}: unknown state {show(value)}, expected one of {'/'.join(f.states)}"
        )
    else:
        readings.append(Reading(field, f.metric, number))


def _read(
    doc: dict[str, Any],
    f: JsonField,
    readings: list[Reading],
    rejected: list[str],
    shape_errors: set[str],
) -> None:
    if f.star < 0:  # the common case, kept lean: ~50 fields per poll
        node: Any = doc
        for key in f.path:
            if type(node) is not dict:
                _, why = _walk(doc, f.path, 0, len(f.path), [])
                shape_errors.add(why or f.field)
                return
            node = node.get(key, _MISSING)
            if node is _MISSING:
                return
        if f.states is not None:
            _state(f, f.field, node, readings, rejected)
        else:
            readings.append(Reading(f.field, f.metric, node, "", f.scale))
        return
    mapping, why = _walk(doc, f.path, 0, f.star, [])
    if why:
        shape_errors.add(why)
    if mapping is _MISSING:
        return
    if not isinstance(mapping, dict):
        shape_errors.add(f"{'.'.join(f.path[: f.star])}: not an object")
        return
    for label in list(mapping)[:MAX_LABELS]:
        field = ".".join((*f.path[: f.star], label, *f.path[f.star + 1 :]))
        value, why = _walk(
            mapping[label], f.path, f.star + 1, len(f.path), [*f.path[: f.star], label]
        )
        if why:
            shape_errors.add(why)
        if value is _MISSING:
            continue
        if f.states is not None:
            _state(f, field, value, readings, rejected)
        else:
            readings.append(Reading(field, f.metric, value, label, f.scale))
    if len(mapping) > MAX_LABELS:
        rejected.append(
            f"{'.'.join(f.path[: f.star])}: more than {MAX_LABELS} entries, the rest ignored"
        )


def parse_json(body: bytes, centre_id: str, profile: Profile) -> Parsed:
    """Readings from a status document for `centre_id` (the id its documents carry: the
    official code, or the site file's `document_id`), read with `profile`'s paths."""
    doc, error = load(body)
    if error:
        return Parsed(error=error)
    if not isinstance(doc, dict):
        return Parsed(error=f"not a JSON object but {type(doc).__name__}")
    if profile.centre_id is not None:
        sent, _ = _walk(doc, profile.centre_id, 0, len(profile.centre_id), [])
        where = ".".join(profile.centre_id)
        if sent is _MISSING:
            return Parsed(error=f"no {where} in the document")
        if sent != centre_id:
            return Parsed(error=f"{where}: document is for centre {show(sent)}, "
                                f"not {centre_id!r}")
    readings: list[Reading] = []
    rejected: list[str] = []
    shape_errors: set[str] = set()
    for f in profile.json:
        _read(doc, f, readings, rejected, shape_errors)
    rejected.extend(sorted(shape_errors))
    if not readings and not rejected:
        return Parsed(error="none of the profile's fields in the document")
    return Parsed(readings, rejected)


def run(fetch: Fetch, url: str, centre_id: str, profile: Profile) -> ProbeOutcome:
    """GET the document at `url` and read it."""
    return outcome(fetch(url), lambda body: parse_json(body, centre_id, profile))
