"""Declarative column specifications: which header of a survey file holds which variable.

The survey's headers are Norwegian and change wording from year to year, so the mapping lives in one
TOML file per survey year, shipped with the plugin (``specs/is248-<year>.toml``).  A user whose file
differs copies a shipped spec (:func:`copy_spec`) and edits it, or writes a short file that
``extends`` a shipped year and overrides only what differs::

    extends = 2023                      # a shipped year, or a path relative to this file

    [layout]
    sheet = "Ark1"

    [[column]]
    header = "Psykologer (årsverk)"
    variable = "fte"
    dimensions = { profession = "psychologist", target_group = "total" }

A column of the override replaces the base column with the same variable and dimensions; new ones are
added.  The format is described in full in the plugin's README.
"""

from __future__ import annotations

import re
import tomllib
import typing
import unicodedata
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from samhandling import atomic
from samhandling.errors import Parameter, ParseError
from samhandling.tables import Variable

__all__ = [
    "ColumnSpec",
    "Layout",
    "RegionSpec",
    "SurveySpec",
    "copy_spec",
    "normalise_header",
    "shipped_years",
    "spec_text",
]

_KINDS = ("number", "yes_no")
_BLANKS = ("not_available", "zero")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SPACES = re.compile(r"\s+")
_FOOTNOTE = re.compile(r"(\s*\*+|\s*\(\d\)|\s+\d\))$")


def normalise_header(text: str) -> str:
    """The form headers are compared in: case, spacing, dash kind and footnote marks do not matter.

    ``"Årsverk  –  Psykologer*"`` and ``"årsverk - psykologer"`` are the same header.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _DASHES.sub("-", folded)
    folded = _SPACES.sub(" ", folded).strip()
    folded = _FOOTNOTE.sub("", folded)
    parts = [part.strip() for part in folded.split("/")]
    return " / ".join(part for part in parts if part)


def _headers(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ParseError(f"{where}: 'header' must be a header text or a list of alternatives, got {value!r}")
    return tuple(value)


def _texts(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _sorted_pairs(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(dict(value).items()))


def _columns(value: Iterable[ColumnSpec]) -> tuple[ColumnSpec, ...]:
    return tuple(value)


def _variable_tuple(value: Iterable[Variable]) -> tuple[Variable, ...]:
    return tuple(value)


@typing.final
@attrs.frozen(kw_only=True)
class ColumnSpec:
    """One column of a survey file: its header(s) and the variable and dimension values it holds.

    :ivar header: the header text; alternatives are tried in order.  A header under a merged group
        header may be given as ``"Group / Column"`` or as the column header alone when that is unique.
    :ivar variable: the variable id the values become (e.g. ``"fte"``).
    :ivar dimensions: dimension values of every value in the column (``{"profession": "psychologist"}``).
    :ivar kind: ``"number"`` or ``"yes_no"`` (Ja/Nei become 1/0).
    :ivar required: whether reading fails when the file lacks the column.
    :ivar factor: multiply the values by this (e.g. 0.01 for a column in stillingsprosent).
    """

    header: tuple[str, ...] = attrs.field(converter=_texts)
    variable: str
    dimensions: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_sorted_pairs)
    kind: str = attrs.field(default="number", validator=attrs.validators.in_(_KINDS))
    required: bool = True
    factor: float = 1.0

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What a column means: the variable and its dimension values (overrides replace by key)."""
        return (self.variable, self.dimensions)

    @property
    def dimension_map(self) -> dict[str, str]:
        """The dimension values as a dictionary (``{"profession": "psychologist", ...}``)."""
        return dict(self.dimensions)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> ColumnSpec:
        """Build from one ``[[column]]`` table of a spec file (the error names the entry)."""
        known = {"header", "variable", "dimensions", "kind", "required", "factor"}
        unknown = set(data) - known
        if unknown:
            raise ParseError(f"{where}: unknown key(s) {sorted(unknown)}; a column has {sorted(known)}")
        variable = data.get("variable")
        if not isinstance(variable, str) or not variable.strip():
            raise ParseError(f"{where}: 'variable' must be a variable id such as 'fte'")
        dimensions = data.get("dimensions", {})
        if not isinstance(dimensions, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in dimensions.items()
        ):
            raise ParseError(f"{where}: 'dimensions' must map column names to codes, got {dimensions!r}")
        kind = data.get("kind", "number")
        if kind not in _KINDS:
            raise ParseError(f"{where}: 'kind' must be one of {list(_KINDS)}, got {kind!r}")
        required = data.get("required", True)
        factor = data.get("factor", 1.0)
        if not isinstance(required, bool):
            raise ParseError(f"{where}: 'required' must be true or false, got {required!r}")
        if isinstance(factor, bool) or not isinstance(factor, (int, float)):
            raise ParseError(f"{where}: 'factor' must be a number, got {factor!r}")
        return cls(
            header=_headers(data.get("header"), where),
            variable=variable.strip(),
            dimensions=dimensions,
            kind=kind,
            required=required,
            factor=float(factor),
        )


@typing.final
@attrs.frozen(kw_only=True)
class Layout:
    """How the table sits in the file.

    :ivar sheet: the XLSX sheet to read (default: the first sheet).
    :ivar header_rows: how many rows the headers take (2 with a merged group row above the columns).
    :ivar delimiter: the CSV field separator.
    :ivar encoding: the CSV encoding; ``"auto"`` reads UTF-8 (with or without BOM), else Windows-1252.
    :ivar decimal: the decimal mark of numbers written as text.
    :ivar blank: what an empty cell means: ``"not_available"`` (status ``..``) or ``"zero"``.
    """

    sheet: str | None = None
    header_rows: int = 1
    delimiter: str = ";"
    encoding: str = "auto"
    decimal: str = ","
    blank: str = attrs.field(default="not_available", validator=attrs.validators.in_(_BLANKS))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> Layout:
        """Build from the ``[layout]`` table of a spec file (the error names the file and key)."""
        known = {f.name for f in attrs.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ParseError(f"{where}: unknown key(s) {sorted(unknown)} in [layout]; known: {sorted(known)}")
        header_rows = data.get("header_rows", 1)
        if isinstance(header_rows, bool) or not isinstance(header_rows, int) or not 1 <= header_rows <= 5:
            raise ParseError(f"{where}: layout.header_rows must be 1–5, got {header_rows!r}")
        blank = data.get("blank", "not_available")
        if blank not in _BLANKS:
            raise ParseError(f"{where}: layout.blank must be one of {list(_BLANKS)}, got {blank!r}")
        for key in ("sheet", "delimiter", "encoding", "decimal"):
            if key in data and not isinstance(data[key], str):
                raise ParseError(f"{where}: layout.{key} must be text, got {data[key]!r}")
        delimiter = data.get("delimiter", ";")
        if len(delimiter) != 1:
            raise ParseError(f"{where}: layout.delimiter must be one character, got {delimiter!r}")
        decimal = data.get("decimal", ",")
        if decimal not in {",", "."}:
            raise ParseError(f"{where}: layout.decimal must be ',' or '.', got {decimal!r}")
        return cls(
            sheet=data.get("sheet"),
            header_rows=header_rows,
            delimiter=delimiter,
            encoding=data.get("encoding", "auto"),
            decimal=decimal,
            blank=blank,
        )


@typing.final
@attrs.frozen(kw_only=True)
class RegionSpec:
    """The column(s) that say which municipality (or city district) a row is about.

    :ivar code: header(s) of the code column; a cell may also hold code and name ("3401 Kongsvinger").
    :ivar name: header(s) of the name column, if any (kept only to make error messages readable).
    """

    code: tuple[str, ...] = attrs.field(converter=_texts)
    name: tuple[str, ...] = attrs.field(default=(), converter=_texts)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> RegionSpec:
        """Build from the ``[region]`` table of a spec file (the error names the file and key)."""
        unknown = set(data) - {"code", "name"}
        if unknown:
            raise ParseError(f"{where}: unknown key(s) {sorted(unknown)} in [region]; known: code, name")
        if "code" not in data:
            raise ParseError(f"{where}: [region] needs 'code', the header of the municipality code column")
        name = data.get("name")
        return cls(
            code=_headers(data["code"], f"{where} [region].code"),
            name=() if name is None else _headers(name, f"{where} [region].name"),
        )


def _variable_from_mapping(vid: str, data: Any, where: str) -> Variable:
    if not isinstance(data, Mapping):
        raise ParseError(f"{where}: [variables.{vid}] must be a table with unit, additive, label")
    known = {"unit", "additive", "label", "description", "numerator", "denominator", "scale"}
    unknown = set(data) - known
    if unknown:
        raise ParseError(
            f"{where}: unknown key(s) {sorted(unknown)} in [variables.{vid}]; known: {sorted(known)}"
        )
    try:
        return Variable(id=vid, **dict(data))
    except (TypeError, ValueError) as exc:
        raise ParseError(f"{where}: [variables.{vid}] is not a valid variable: {exc}") from exc


@typing.final
@attrs.frozen(kw_only=True)
class SurveySpec:
    """The column specification of one survey year: layout, region column and value columns.

    Load one with :meth:`for_year` (shipped) or :meth:`from_toml` (your own, possibly ``extends``-ing a
    shipped year).  ``variables`` declares variables that are not in the plugin's catalogue.
    """

    year: int
    title: str = ""
    layout: Layout = attrs.field(factory=Layout)
    region: RegionSpec
    columns: tuple[ColumnSpec, ...] = attrs.field(converter=_columns)
    variables: tuple[Variable, ...] = attrs.field(default=(), converter=_variable_tuple)
    origin: str = ""

    @classmethod
    def for_year(cls, year: int) -> SurveySpec:
        """The spec shipped with the plugin for survey ``year``."""
        if year not in shipped_years():
            raise ParseError(
                f"no column specification is shipped for survey year {year}; shipped years: "
                f"{', '.join(map(str, shipped_years()))}. Copy the nearest one (copy_spec(), or on the "
                f"command line samhandling survey spec {max(shipped_years())} -o my-spec.toml), adjust it, "
                f"then give ",
                Parameter(name="spec", example="'my-spec.toml'"),
            )
        text = spec_text(year)
        return cls.from_mapping(_load_toml(text, f"is248-{year}.toml"), origin=f"shipped:is248-{year}.toml")

    @classmethod
    def from_toml(cls, path: str | Path) -> SurveySpec:
        """Read a spec file; ``extends`` pulls in a shipped year or another file first."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ParseError(f"cannot read the column specification: {exc}", path=path) from exc
        return cls.from_mapping(_load_toml(text, str(path)), origin=str(path), base_dir=path.parent)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, origin: str = "", base_dir: Path | None = None, _depth: int = 0
    ) -> SurveySpec:
        """Build from parsed TOML (``extends`` is resolved relative to ``base_dir``)."""
        where = origin or "column specification"
        known = {"extends", "survey", "layout", "region", "column", "variables"}
        unknown = set(data) - known
        if unknown:
            raise ParseError(f"{where}: unknown top-level key(s) {sorted(unknown)}; known: {sorted(known)}")
        base: SurveySpec | None = None
        if "extends" in data:
            if _depth > 5:
                raise ParseError(f"{where}: 'extends' nests more than five files deep (a cycle?)")
            base = _resolve_base(data["extends"], where, base_dir, _depth)
        survey = data.get("survey", {})
        if not isinstance(survey, Mapping):
            raise ParseError(f"{where}: [survey] must be a table")
        unknown = set(survey) - {"year", "title"}
        if unknown:
            raise ParseError(f"{where}: unknown key(s) {sorted(unknown)} in [survey]; known: title, year")
        year = survey.get("year", base.year if base else None)
        if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
            raise ParseError(f"{where}: [survey].year must be the survey year, e.g. 2023, got {year!r}")
        title = survey.get("title", base.title if base else "")
        layout_data = data.get("layout", {})
        if not isinstance(layout_data, Mapping):
            raise ParseError(f"{where}: [layout] must be a table")
        if base is not None:
            layout_data = {
                **{k: v for k, v in attrs.asdict(base.layout).items() if v is not None},
                **layout_data,
            }
        layout = Layout.from_mapping(layout_data, where)
        region_data = data.get("region")
        if region_data is None:
            if base is None:
                raise ParseError(f"{where}: [region] is missing (the header of the municipality code column)")
            region = base.region
        elif isinstance(region_data, Mapping):
            if base is not None and "code" not in region_data:
                region_data = {"code": list(base.region.code), **region_data}
            region = RegionSpec.from_mapping(region_data, where)
        else:
            raise ParseError(f"{where}: [region] must be a table")
        raw_columns = data.get("column", [])
        if not isinstance(raw_columns, list):
            raise ParseError(f"{where}: columns are given as [[column]] tables")
        columns = [
            ColumnSpec.from_mapping(raw, f"{where} [[column]] #{index + 1}")
            for index, raw in enumerate(raw_columns)
            if isinstance(raw, Mapping) or _not_a_table(raw, where, index)
        ]
        merged: dict[tuple[str, tuple[tuple[str, str], ...]], ColumnSpec] = {}
        for column in [*(base.columns if base else ()), *columns]:
            merged[column.key] = column
        seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        for index, column in enumerate(columns):
            if column.key in seen:
                raise ParseError(
                    f"{where}: [[column]] #{index + 1} maps {column.variable} {column.dimension_map} a "
                    f"second time; each variable and dimension values belong to one column"
                )
            seen.add(column.key)
        if not merged:
            raise ParseError(f"{where}: no [[column]] entries")
        raw_variables = data.get("variables", {})
        if not isinstance(raw_variables, Mapping):
            raise ParseError(f"{where}: [variables] must be a table of [variables.<id>] tables")
        variables = {v.id: v for v in (base.variables if base else ())}
        for vid, raw in raw_variables.items():
            variables[vid] = _variable_from_mapping(vid, raw, where)
        return cls(
            year=year,
            title=str(title),
            layout=layout,
            region=region,
            columns=tuple(merged.values()),
            variables=tuple(variables.values()),
            origin=origin,
        )

    def variable_ids(self) -> list[str]:
        """The variables this spec reads, in column order."""
        return list(dict.fromkeys(c.variable for c in self.columns))


def _not_a_table(raw: object, where: str, index: int) -> bool:
    raise ParseError(f"{where}: [[column]] #{index + 1} must be a table, got {raw!r}")


def _load_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParseError(f"not valid TOML: {exc}", path=where) from exc


def _resolve_base(extends: Any, where: str, base_dir: Path | None, depth: int) -> SurveySpec:
    if isinstance(extends, int) and not isinstance(extends, bool):
        if extends not in shipped_years():
            raise ParseError(
                f"{where}: extends = {extends}, but specs are shipped for "
                f"{', '.join(map(str, shipped_years()))}"
            )
        return SurveySpec.for_year(extends)
    if isinstance(extends, str):
        if extends.isdigit():
            return _resolve_base(int(extends), where, base_dir, depth)
        path = Path(extends)
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        try:
            text = path.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ParseError(f"{where}: cannot read the spec it extends: {exc}", path=path) from exc
        return SurveySpec.from_mapping(
            _load_toml(text, str(path)), origin=str(path), base_dir=path.parent, _depth=depth + 1
        )
    raise ParseError(f"{where}: 'extends' must be a shipped year (2023) or a path, got {extends!r}")


def _spec_files() -> dict[int, str]:
    folder = resources.files("samhandling_survey").joinpath("specs")
    found = {}
    for entry in folder.iterdir():
        match = re.fullmatch(r"is248-(\d{4})\.toml", entry.name)
        if match:
            found[int(match.group(1))] = entry.name
    return found


def shipped_years() -> tuple[int, ...]:
    """The survey years a column specification is shipped for."""
    return tuple(sorted(_spec_files()))


def spec_text(year: int) -> str:
    """The text of the shipped spec of ``year`` (to read, or to copy and edit)."""
    files = _spec_files()
    if year not in files:
        raise ParseError(
            f"no column specification is shipped for survey year {year}; shipped years: "
            f"{', '.join(map(str, sorted(files)))}"
        )
    return resources.files("samhandling_survey").joinpath("specs", files[year]).read_text(encoding="utf-8")


def copy_spec(year: int, destination: str | Path) -> Path:
    """Write the shipped spec of ``year`` to ``destination`` (a file, or a folder) to edit it there."""
    destination = Path(destination)
    if destination.is_dir():
        destination = destination / f"is248-{year}.toml"
    atomic.write_text(destination, spec_text(year))
    return destination


def match_headers(wanted: Iterable[str], paths: list[str], leaves: list[str]) -> tuple[int | None, list[int]]:
    """The index of the file column matching one of ``wanted`` (full path first, then a unique leaf).

    Returns ``(index, [])`` on a match, ``(None, candidates)`` when a leaf matches several columns.
    """
    ambiguous: list[int] = []
    for header in wanted:
        key = normalise_header(header)
        exact = [i for i, path in enumerate(paths) if path == key]
        if len(exact) == 1:
            return exact[0], []
        if len(exact) > 1:
            return None, exact
        by_leaf = [i for i, leaf in enumerate(leaves) if leaf == key]
        if len(by_leaf) == 1:
            return by_leaf[0], []
        if len(by_leaf) > 1:
            ambiguous = by_leaf
    return None, ambiguous
