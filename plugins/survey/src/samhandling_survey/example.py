"""Example survey files in the real layout, with planted errors the quality checks must find.

The files shipped in ``samhandling_survey/example_data`` are written by :func:`write_example_files`;
run ``python -m samhandling_survey.example DIR`` to write them again.  The recipe:

* the 46 municipalities of Innlandet (county 34) on the 2022 and 2023 maps;
* a **synthetic** population per municipality and age band (0-17, 18-66, 67+) and synthetic survey
  answers drawn with a fixed seed — plausible in size, but *not* real survey results or SSB figures;
* 2022 as a CSV file the way Excel on Norwegian Windows saves one (Windows-1252, ``;``, decimal comma,
  two header rows with the group label in the first column of its group, trailing empty cells cut);
* 2023 as an XLSX workbook with a title row, merged group headers, blank cells, a footnote and an
  "I alt" sum row at the bottom.

Planted in 2023 (listed in :data:`PLANTED`, each must be found by ``samhandling check``): a total that
is not the sum of the professions, users whose total is not the sum of the target groups, a negative
FTE, a yes/no answer of 2, a municipality entered twice, an old (pre-2020) municipality code, a
municipality missing, FTEs reported in stillingsprosent instead of årsverk (a hundredfold jump and an
implausible rate per 10,000) and a psychologist FTE that jumps from one year to the next.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
import typing
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import attrs
import numpy as np

from samhandling import atomic
from samhandling.tables import Provenance, StatTable, Variable
from samhandling_survey.reader import SYNTHETIC_MARKER

__all__ = ["EXAMPLE_YEARS", "PLANTED", "ExampleFiles", "Planted", "example_files", "write_example_files"]

EXAMPLE_YEARS: tuple[int, ...] = (2022, 2023)
_COUNTY = "34"
_SEED = 2466


@typing.final
@attrs.frozen(kw_only=True)
class Planted:
    """One error planted in the example: the rule that must find it, where, and what it is."""

    rule: str
    region: str
    year: int
    variable: str | None
    what: str


#: The planted errors of the example (the tests check that the checks find exactly these).
PLANTED: tuple[Planted, ...] = (
    Planted(
        rule="sum-of-parts",
        region="3403",
        year=2023,
        variable="fte",
        what="Sum årsverk is 4.5 above the professions",
    ),
    Planted(
        rule="sum-of-parts",
        region="3405",
        year=2023,
        variable="users",
        what="users I alt is 25 above adults + children",
    ),
    Planted(
        rule="negative-values", region="3407", year=2023, variable="fte", what="psychologists: -1 årsverk"
    ),
    Planted(
        rule="year-on-year",
        region="3407",
        year=2023,
        variable="fte",
        what="psychologists: from positive to -1",
    ),
    Planted(
        rule="impossible-values",
        region="3420",
        year=2023,
        variable="ohd_offer_mental_health_substance_use",
        what="a yes/no answer of 2",
    ),
    Planted(rule="duplicates", region="3412", year=2023, variable=None, what="Løten entered twice"),
    Planted(
        rule="invalid-codes",
        region="0417",
        year=2023,
        variable=None,
        what="Stange under its pre-2020 code 0417",
    ),
    Planted(
        rule="missing-regions",
        region="3413",
        year=2023,
        variable=None,
        what="Stange (3413) missing: it was entered as 0417",
    ),
    Planted(
        rule="missing-regions", region="3430", year=2023, variable=None, what="Os did not answer in 2023"
    ),
    Planted(
        rule="year-on-year",
        region="3421",
        year=2023,
        variable="fte",
        what="Trysil reported stillingsprosent (×100)",
    ),
    Planted(
        rule="fte-per-10000",
        region="3421",
        year=2023,
        variable="fte_per_10000",
        what="Trysil's FTEs per 10,000 ×100",
    ),
    Planted(
        rule="year-on-year",
        region="3436",
        year=2023,
        variable="fte",
        what="Nord-Fron psychologists 0.5 → 3.5",
    ),
)


@typing.final
@attrs.frozen(kw_only=True)
class ExampleFiles:
    """Paths of the example files: the survey file of each year and the population table."""

    survey: dict[int, Path]
    population: Path

    @property
    def all_survey_files(self) -> list[Path]:
        """The survey files, oldest year first."""
        return [self.survey[y] for y in sorted(self.survey)]


def example_files() -> ExampleFiles:
    """The example files shipped with the plugin (read-only; copy them to edit)."""
    folder = Path(str(resources.files("samhandling_survey").joinpath("example_data")))
    return ExampleFiles(
        survey={2022: folder / "is248-2022.csv", 2023: folder / "is248-2023.xlsx"},
        population=folder / "population-innlandet.parquet",
    )


# -------------------------------------------------------------------------------------------------
# The synthetic municipality data
# -------------------------------------------------------------------------------------------------

_PROFESSION_MEANS = {
    "nurse_specialised": 0.25,
    "nurse_other": 0.12,
    "social_worker": 0.08,
    "child_welfare_officer": 0.05,
    "social_educator": 0.10,
    "occupational_therapist": 0.03,
    "psychologist": 0.07,
    "physician": 0.01,
    "experience_consultant": 0.02,
    "other_higher_education": 0.12,
    "no_higher_education": 0.15,
}
_YES_NO_RATES = {
    "ohd": 0.8,
    "voluntary": 0.45,
    "ip": 0.95,
    "coordinator": 0.97,
    "responsibility": 0.9,
    "low_threshold": 0.7,
}


@attrs.define
class _Answer:
    code: str
    name: str
    population: dict[str, int]
    fte: dict[str, float | None]
    adults: float
    children: float
    further: float
    yes_no: dict[str, str]
    users: dict[str, str | int]
    total_extra: float = 0.0


def _municipalities(year: int) -> list[tuple[str, str]]:
    from samhandling.geography import Geography

    geography = Geography.for_year(year)
    return sorted((m.code, m.name) for m in geography.municipalities if m.code.startswith(_COUNTY))


def _base_answers(rng: np.random.Generator, municipalities: Sequence[tuple[str, str]]) -> list[_Answer]:
    answers = []
    for code, name in municipalities:
        people = int(np.clip(rng.lognormal(np.log(6000), 0.9), 900, 60000))
        young = int(people * rng.uniform(0.18, 0.23))
        old = int(people * rng.uniform(0.18, 0.28))
        rate = float(np.clip(rng.normal(32, 7), 15, 60))
        total = people * rate / 10000
        weights = rng.dirichlet([m * 40 for m in _PROFESSION_MEANS.values()])
        fte: dict[str, float | None] = {
            p: round(float(total * w), 1) for p, w in zip(_PROFESSION_MEANS, weights, strict=True)
        }
        if rng.random() < 0.15:
            fte["physician"] = None  # not answered
        if rng.random() < 0.1:
            fte["occupational_therapist"] = None
        known = sum(v for v in fte.values() if v is not None)
        children = round(known * rng.uniform(0.15, 0.35), 1)
        higher = sum(
            v
            for p, v in fte.items()
            if v is not None and p not in {"no_higher_education", "experience_consultant"}
        )
        further = round(max(fte["nurse_specialised"] or 0.0, higher * rng.uniform(0.3, 0.6)), 1)
        yes_no = {key: ("Ja" if rng.random() < p else "Nei") for key, p in _YES_NO_RATES.items()}
        if rng.random() < 0.1:
            yes_no["voluntary"] = ""
        users_adults = int(people * rng.uniform(0.012, 0.03))
        users_children = int(people * rng.uniform(0.004, 0.012))
        users: dict[str, str | int] = {
            "adults": users_adults,
            "children": users_children,
            "total": users_adults + users_children,
        }
        answers.append(
            _Answer(
                code=code,
                name=name,
                population={"0-17": young, "18-66": people - young - old, "67+": old},
                fte=fte,
                adults=round(known - children, 1),
                children=children,
                further=further,
                yes_no=yes_no,
                users=users,
            )
        )
    return answers


def _next_year(rng: np.random.Generator, previous: list[_Answer]) -> list[_Answer]:
    answers = []
    for old in previous:
        growth = rng.normal(1.03, 0.04)
        fte = {
            p: None if v is None else round(max(v * growth * rng.uniform(0.92, 1.08), 0.0), 1)
            for p, v in old.fte.items()
        }
        known = sum(v for v in fte.values() if v is not None)
        children = round(known * old.children / max(old.adults + old.children, 0.1), 1)
        users = {
            "adults": int(int(old.users["adults"]) * rng.uniform(0.93, 1.08)),
            "children": int(int(old.users["children"]) * rng.uniform(0.93, 1.08)),
        }
        answers.append(
            attrs.evolve(
                old,
                population={k: int(v * rng.uniform(0.99, 1.015)) for k, v in old.population.items()},
                fte=fte,
                adults=round(known - children, 1),
                children=children,
                further=round(old.further * growth, 1),
                yes_no=dict(old.yes_no),
                users={**users, "total": users["adults"] + users["children"]},
            )
        )
    return answers


def _plant_errors(answers: list[_Answer], previous: list[_Answer]) -> list[_Answer]:
    """The 2023 errors of :data:`PLANTED` (the order of the rows is the file's order)."""
    by_code = {a.code: a for a in answers}
    before = {a.code: a for a in previous}
    by_code["3403"].total_extra = 4.5
    by_code["3403"].fte["physician"] = by_code["3403"].fte["physician"] or 0.3
    by_code["3403"].fte["occupational_therapist"] = by_code["3403"].fte["occupational_therapist"] or 0.8
    by_code["3407"].fte["psychologist"] = -1.0
    by_code["3407"].fte["physician"] = by_code["3407"].fte["physician"] or 0.2
    by_code["3407"].fte["occupational_therapist"] = by_code["3407"].fte["occupational_therapist"] or 0.5
    before["3407"].fte["psychologist"] = max(before["3407"].fte["psychologist"] or 0.0, 2.5)
    trysil = by_code["3421"]
    trysil.fte = {p: None if v is None else round(v * 100, 0) for p, v in trysil.fte.items()}
    trysil.adults, trysil.children, trysil.further = (
        round(trysil.adults * 100, 0),
        round(trysil.children * 100, 0),
        round(trysil.further * 100, 0),
    )
    before["3436"].fte["psychologist"] = 0.5
    by_code["3436"].fte["psychologist"] = 3.5
    by_code["3436"].fte["physician"] = by_code["3436"].fte["physician"] or 0.2
    by_code["3405"].users["total"] = int(by_code["3405"].users["total"]) + 25
    by_code["3420"].yes_no["ohd"] = "2"
    stange = attrs.evolve(by_code["3413"], code="0417")
    rows = []
    for answer in answers:
        if answer.code == "3430":
            continue  # Os did not answer
        if answer.code == "3413":
            rows.append(stange)
            continue
        rows.append(answer)
        if answer.code == "3412":
            rows.append(answer)  # Løten entered twice
    return rows


def _consistent(answer: _Answer) -> None:
    """Make the target groups add up to the professions after the values changed."""
    known = sum(v for v in answer.fte.values() if v is not None)
    answer.adults = round(known - answer.children, 1)


# -------------------------------------------------------------------------------------------------
# Writing the files
# -------------------------------------------------------------------------------------------------

_PROFESSION_HEADERS = (
    ("nurse_specialised", "Sykepleiere med videreutdanning i psykisk helse- og/eller rusarbeid"),
    ("nurse_other", "Andre sykepleiere"),
    ("social_worker", "Sosionomer"),
    ("child_welfare_officer", "Barnevernspedagoger"),
    ("social_educator", "Vernepleiere"),
    ("occupational_therapist", "Ergoterapeuter"),
    ("psychologist", "Psykologer"),
    ("physician", "Leger"),
    ("experience_consultant", "Erfaringskonsulenter"),
    ("other_higher_education", "Andre med høyere utdanning"),
    ("no_higher_education", "Uten høyere utdanning"),
)
_YES_NO_HEADERS = (
    ("ohd", "Tilbud om øyeblikkelig hjelp døgnopphold (ØHD) for psykisk helse og rus"),
    ("voluntary", "Samarbeidsavtale med frivillige organisasjoner"),
    ("ip", "Individuell plan"),
    ("coordinator", "Koordinator"),
    ("responsibility", "Ansvarsgrupper"),
    ("low_threshold", "Lavterskeltilbud uten henvisning"),
)


def _groups(year: int) -> list[tuple[str, list[str]]]:
    """Header groups and their column headers, as the spec of ``year`` names them."""
    early = year <= 2021
    return [
        ("Kommunenummer", []),
        ("Kommunenavn", []),
        ("Årsverk etter utdanning og yrkesgruppe", [h for _, h in _PROFESSION_HEADERS] + ["Sum årsverk"]),
        ("Kompetanse", ["Herav årsverk med videreutdanning i psykisk helse- og rusarbeid"]),
        (
            "Årsverk rettet mot målgruppe" if early else "Årsverk etter målgruppe",
            ["Voksne", "Barn og unge"] if early else ["Voksne (18 år og eldre)", "Barn og unge (0–17 år)"],
        ),
        ("Tjenester og samhandling", [h for _, h in _YES_NO_HEADERS]),
        ("Antall brukere", ["Voksne", "Barn og unge", "I alt"]),
    ]


def _number(value: float | None, decimal: str) -> str:
    if value is None:
        return ""
    text = f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else f"{int(value)}"
    return text.replace(".", decimal)


def _cells(answer: _Answer) -> list[object]:
    fte = [answer.fte[p] for p, _ in _PROFESSION_HEADERS]
    total = round(sum(v for v in fte if v is not None) + answer.total_extra, 1)
    return [
        answer.code,
        answer.name,
        *fte,
        total,
        answer.further,
        answer.adults,
        answer.children,
        *[answer.yes_no[k] for k, _ in _YES_NO_HEADERS],
        answer.users["adults"],
        answer.users["children"],
        answer.users["total"],
    ]


def _title(year: int) -> str:
    return f"IS-24/8 Kommunalt psykisk helse- og rusarbeid {year}: årsverk og tjenester per kommune"


_NOTE = f"{SYNTHETIC_MARKER} laget av samhandling-survey; ikke faktiske svar fra kommunene."


def _write_csv(path: Path, year: int, rows: list[list[object]]) -> None:
    groups = _groups(year)
    first: list[str] = []
    second: list[str] = []
    for group, columns in groups:
        if not columns:
            first.append(group)
            second.append("")
            continue
        first += [group] + [""] * (len(columns) - 1)
        second += columns
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_title(year)])
    writer.writerow([])
    writer.writerow(first)
    writer.writerow(second)
    for row in rows:
        cells = [_number(c, ",") if isinstance(c, float) or c is None else str(c) for c in row]
        while cells and cells[-1] == "":
            cells.pop()  # Excel leaves out trailing empty cells
        writer.writerow(cells)
    writer.writerow([])
    writer.writerow([_NOTE])
    atomic.write_bytes(path, buffer.getvalue().encode("cp1252"))


def _write_xlsx(path: Path, year: int, rows: list[list[object]], sum_row: list[object]) -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Kommuner"
    sheet["A1"] = _title(year)
    sheet["A1"].font = Font(bold=True, size=13)
    header_top, header_bottom = 3, 4
    column = 1
    for group, columns in _groups(year):
        if not columns:
            sheet.cell(header_top, column, group)
            sheet.merge_cells(
                start_row=header_top, start_column=column, end_row=header_bottom, end_column=column
            )
            column += 1
            continue
        sheet.cell(header_top, column, group)
        if len(columns) > 1:
            sheet.merge_cells(
                start_row=header_top,
                start_column=column,
                end_row=header_top,
                end_column=column + len(columns) - 1,
            )
        for offset, header in enumerate(columns):
            sheet.cell(header_bottom, column + offset, header)
        column += len(columns)
    for row in (header_top, header_bottom):
        for cell in sheet[row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate([*rows, sum_row], start=header_bottom + 1):
        for c, value in enumerate(values, start=1):
            if value is None or value == "":
                continue  # a blank cell
            if c == 1 and isinstance(value, str) and value.isdigit():
                sheet.cell(r, c, int(value))  # codes typed as numbers lose their leading zero
            elif isinstance(value, (str, int, float)):
                sheet.cell(r, c, value)
    sheet.cell(header_bottom + len(rows) + 3, 1, _NOTE)
    workbook.properties.creator = "samhandling-survey"
    workbook.properties.created = dt.datetime(2024, 3, 1, 12, 0, 0)
    workbook.properties.modified = dt.datetime(2024, 3, 1, 12, 0, 0)
    with atomic.atomic_path(path) as temporary:
        workbook.save(temporary)


def _population_table(answers_by_year: dict[int, list[_Answer]]) -> StatTable:
    region, year, age, value = [], [], [], []
    for survey_year, answers in sorted(answers_by_year.items()):
        for answer in answers:
            for band, count in answer.population.items():
                region.append(answer.code)
                year.append(survey_year)
                age.append(band)
                value.append(float(count))
    return StatTable.from_pydict(
        {
            "region": region,
            "level": ["municipality"] * len(region),
            "year": year,
            "age": age,
            "variable": ["population"] * len(region),
            "value": value,
        },
        source="example",
        title="Synthetic population of Innlandet's municipalities (example data, not SSB figures)",
        provenance=[
            Provenance(
                source="example",
                location="samhandling_survey.example",
                note="synthetic population drawn with a fixed seed, not SSB figures",
                synthetic=True,
                retrieved="2024-03-01T12:00:00+00:00",
            )
        ],
        variables=[
            Variable(id="population", unit="innbygger", additive=True, label="Folkemengde (syntetisk)")
        ],
    )


def write_example_files(directory: str | Path) -> ExampleFiles:
    """Write the example survey files (2022 CSV, 2023 XLSX) and their population to ``directory``."""
    from samhandling.exporters.parquet import ParquetExporter

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(_SEED)
    first = _base_answers(rng, _municipalities(EXAMPLE_YEARS[0]))
    second = _next_year(rng, first)
    rows_2023 = _plant_errors(second, first)
    for answer in [*first, *rows_2023]:
        _consistent(answer)
    survey = {
        2022: directory / "is248-2022.csv",
        2023: directory / "is248-2023.xlsx",
    }
    _write_csv(survey[2022], 2022, [_cells(a) for a in first])
    body = [_cells(a) for a in rows_2023]
    sum_row: list[object] = ["", "Innlandet i alt"]
    for index in range(2, len(body[0])):
        numbers = [float(cell) for row in body if isinstance(cell := row[index], (int, float))]
        sum_row.append(round(sum(numbers), 1) if numbers else "")
    _write_xlsx(survey[2023], 2023, body, sum_row)
    population = directory / "population-innlandet.parquet"
    ParquetExporter().write(_population_table({2022: first, 2023: second}), population)
    return ExampleFiles(survey=survey, population=population)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m samhandling_survey.example DIR``: write the example files to DIR."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m samhandling_survey.example DIRECTORY", file=sys.stderr)
        return 2
    files = write_example_files(args[0])
    for path in [*files.all_survey_files, files.population]:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
