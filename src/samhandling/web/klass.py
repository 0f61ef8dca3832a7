"""Fetching SSB's classification service, KLASS: code changes and the codes valid on a date.

KLASS (``https://data.ssb.no/api/klass/v1``) publishes Norway's official area codes.  The geography of
the library is built from three of its classifications:

======================  =============================================
``MUNICIPALITIES``      131, *Standard for kommuneinndeling*
``COUNTIES``            104, *Standard for fylkesinndeling*
``CITY_DISTRICTS``      103, *Standard for bydelsinndeling*
======================  =============================================

:func:`fetch_klass_changes` asks ``GET /classifications/{id}/changes?from=YYYY-MM-DD&to=YYYY-MM-DD``
and :func:`fetch_klass_codes` ``GET /classifications/{id}/codesAt?date=YYYY-MM-DD``, both with
``Accept: application/json``, through :class:`samhandling.web.WebClient` (cached for a day, checked,
retried, bounded; see that class).  Each returns the parsed JSON unchanged and can save the answer,
byte for byte, to a file (written atomically).  The shapes, as SSB serves them and as the checks here
require before anything is cached:

``changes`` — an object with ``codeChanges``, a list (empty when nothing changed) of objects::

    {"codeChanges": [{"oldCode": "1507", "oldName": "Ålesund", "oldShortName": "",
                      "newCode": "1508", "newName": "Ålesund", "newShortName": "",
                      "changeOccurred": "2024-01-01"}, …]}

  One object per old → new code pair: a merger is several objects with the same ``newCode``, a
  division several with the same ``oldCode``, a rename one object with the same code on both sides.
  ``changeOccurred`` is the date (``YYYY-MM-DD``) the change took effect.

``codesAt`` — an object with ``codes``, a non-empty list of objects::

    {"codes": [{"code": "0301", "parentCode": null, "level": "1", "name": "Oslo",
                "shortName": "", "presentationName": "", "validFrom": "2020-01-01",
                "validTo": null, "notes": ""}, …]}

  ``code``, ``name`` and ``level`` are required; the other fields are kept as SSB sends them.

KLASS's ranges include ``from`` and exclude ``to``: the changes of 1 January 2024 are those with
``from_date`` on or before and ``to_date`` after that day.  Turning the answers into a geography year
is the job of :mod:`samhandling.geography`, not of this module.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from samhandling.atomic import write_bytes
from samhandling.errors import FetchError, ValidationError
from samhandling.web.client import WebClient, default_cache_dir

__all__ = [
    "CITY_DISTRICTS",
    "COUNTIES",
    "KLASS_API",
    "MUNICIPALITIES",
    "check_changes",
    "check_codes",
    "fetch_klass_changes",
    "fetch_klass_codes",
]

#: SSB's KLASS API, version 1.
KLASS_API = "https://data.ssb.no/api/klass/v1"
#: Classification 131, Standard for kommuneinndeling.
MUNICIPALITIES = 131
#: Classification 104, Standard for fylkesinndeling.
COUNTIES = 104
#: Classification 103, Standard for bydelsinndeling.
CITY_DISTRICTS = 103

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(value: dt.date | str, name: str) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{name} must be a date (YYYY-MM-DD), not {value!r}") from None
    return text


def _classification(value: int | str) -> str:
    text = str(value).strip()
    if not text.isdigit():
        raise ValidationError(f"a KLASS classification is a number such as 131, not {value!r}")
    return text


def _document(content: bytes, key: str) -> list[Any]:
    try:
        data = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not JSON ({exc}); starts with {content[:60]!r}") from None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        found = sorted(data)[:8] if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"expected a JSON object with a list {key!r}; found {found}")
    items: list[Any] = data[key]
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"{key}[{number}] is {type(item).__name__}, not an object")
    return items


def check_changes(content: bytes) -> Mapping[str, str]:
    """Check a ``changes`` answer (see the module docstring); returns how many changes it holds.

    :raises ValueError: naming the first entry that does not have the expected shape.
    """
    changes = _document(content, "codeChanges")
    for number, change in enumerate(changes):
        codes = [change.get("oldCode"), change.get("newCode")]
        if not all(c is None or isinstance(c, str) for c in codes) or not any(codes):
            raise ValueError(f"codeChanges[{number}] has no oldCode/newCode strings: {change}")
        occurred = change.get("changeOccurred")
        if not (isinstance(occurred, str) and _DATE.fullmatch(occurred)):
            raise ValueError(f"codeChanges[{number}] has changeOccurred {occurred!r}, not a YYYY-MM-DD date")
    return {"changes": str(len(changes))}


def check_codes(content: bytes) -> Mapping[str, str]:
    """Check a ``codesAt`` answer (see the module docstring); returns how many codes it holds.

    :raises ValueError: naming the first entry that does not have the expected shape.
    """
    codes = _document(content, "codes")
    if not codes:
        raise ValueError("the list 'codes' is empty; a classification always has codes on a date")
    for number, code in enumerate(codes):
        if not (isinstance(code.get("code"), str) and code["code"]):
            raise ValueError(f"codes[{number}] has no code: {code}")
        if not isinstance(code.get("name"), str):
            raise ValueError(f"codes[{number}] ({code['code']}) has no name")
        if not isinstance(code.get("level"), str | int):
            raise ValueError(f"codes[{number}] ({code['code']}) has no level")
    return {"codes": str(len(codes))}


def _client(options: Mapping[str, Any]) -> WebClient:
    settings = {"cache_dir": default_cache_dir("klass"), **options}
    headers = {"Accept": "application/json", **dict(settings.pop("headers", None) or {})}
    return WebClient(headers=headers, **settings)


def _fetch(
    path: str,
    params: Mapping[str, str],
    *,
    base_url: str,
    validate: Any,
    refresh: bool,
    save_to: str | Path | None,
    what: str,
    client_options: Mapping[str, Any],
) -> dict[str, Any]:
    with _client(client_options) as client:
        fetched = client.get(
            f"{base_url.rstrip('/')}/{path}", params=params, validate=validate, refresh=refresh, what=what
        )
    data: dict[str, Any] = json.loads(fetched.content)
    if save_to is not None:
        try:
            write_bytes(save_to, fetched.content)
        except OSError as exc:
            raise FetchError(f"{what}: cannot save the answer to {save_to}: {exc}", url=fetched.url) from None
    return data


def fetch_klass_changes(
    classification: int | str,
    from_date: dt.date | str,
    to_date: dt.date | str,
    *,
    language: str = "nb",
    include_future: bool = False,
    save_to: str | Path | None = None,
    refresh: bool = False,
    base_url: str = KLASS_API,
    **client_options: Any,
) -> dict[str, Any]:
    """The code changes of a classification from ``from_date`` (inclusive) to ``to_date`` (exclusive).

    >>> fetch_klass_changes(MUNICIPALITIES, "2023-01-01", "2024-01-02")  # doctest: +SKIP
    {'codeChanges': [{'oldCode': '1507', 'newCode': '1508', 'changeOccurred': '2024-01-01', …}, …]}

    :param classification: 131 municipalities, 104 counties, 103 city districts, or any other id.
    :param include_future: include changes KLASS has published ahead of their date.
    :param save_to: also write the answer, byte for byte, to this file (atomically).
    :param client_options: passed to :class:`~samhandling.web.WebClient` (``cache_dir``, ``max_age``,
        ``timeout``, ``retries``, ``transport``, …).
    :returns: the parsed JSON, ``{"codeChanges": [...]}``.
    :raises FetchError: the request failed or the answer did not have that shape (nothing cached).
    """
    start, end = _date(from_date, "from_date"), _date(to_date, "to_date")
    if end <= start:
        raise ValidationError(f"to_date {end} must come after from_date {start} (KLASS excludes to_date)")
    number = _classification(classification)
    params = {"from": start, "to": end, "language": language}
    if include_future:
        params["includeFuture"] = "true"
    return _fetch(
        f"classifications/{number}/changes",
        params,
        base_url=base_url,
        validate=check_changes,
        refresh=refresh,
        save_to=save_to,
        what=f"KLASS {number} changes {start} to {end}",
        client_options=client_options,
    )


def fetch_klass_codes(
    classification: int | str,
    date: dt.date | str,
    *,
    language: str = "nb",
    include_future: bool = False,
    save_to: str | Path | None = None,
    refresh: bool = False,
    base_url: str = KLASS_API,
    **client_options: Any,
) -> dict[str, Any]:
    """The codes of a classification valid on ``date`` (``codesAt``).

    >>> counties = fetch_klass_codes(COUNTIES, "2024-01-01")  # doctest: +SKIP

    Parameters as for :func:`fetch_klass_changes`.

    :returns: the parsed JSON, ``{"codes": [...]}``.
    :raises FetchError: the request failed or the answer did not have that shape (nothing cached).
    """
    day = _date(date, "date")
    number = _classification(classification)
    params = {"date": day, "language": language}
    if include_future:
        params["includeFuture"] = "true"
    return _fetch(
        f"classifications/{number}/codesAt",
        params,
        base_url=base_url,
        validate=check_codes,
        refresh=refresh,
        save_to=save_to,
        what=f"KLASS {number} codes on {day}",
        client_options=client_options,
    )
