"""``samhandling read | harmonise | roll-up | rates | export``, run as an analyst runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import openpyxl
import pyarrow as pa
import pytest
from click.testing import CliRunner, Result

import samhandling as sh
from samhandling import StatTable, Variable
from samhandling.cli import main
from samhandling.exporters import export

USERS = Variable(id="users", unit="bruker", label="Brukere")
FTE = Variable(id="fte", unit="årsverk", label="Årsverk")


def _run(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, list(args), input=stdin)


def _ok(*args: str, stdin: bytes | None = None) -> Result:
    result = _run(*args, stdin=stdin)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def _values(table: StatTable, variable: str) -> dict[str, object]:
    rows = table.where(variable=variable).to_pylist()
    return {r["region"]: (r["value"] if r["status"] is None else r["status"]) for r in rows}


@pytest.fixture
def survey_2019(tmp_path: Path) -> Path:
    """Users and FTEs in 2019 on the 2019 map: Drammen and Nedre Eiker merged in 2020, Oslo suppressed."""
    table = StatTable.from_pydict(
        {
            "region": ["0602", "0625", "0605", "0301", "0602", "0625", "0605", "0301"],
            "level": ["municipality"] * 8,
            "year": [2019] * 8,
            "variable": ["users"] * 4 + ["fte"] * 4,
            "value": [400.0, 100.0, 120.0, None, 30.5, 4.0, 12.0, 610.0],
            "status": [None, None, None, ":", None, None, None, None],
        },
        variables=[USERS, FTE],
        geography_year=2019,
        source="survey",
    )
    return export(table, tmp_path / "survey-2019.parquet")


@pytest.fixture
def population_2024(tmp_path: Path) -> Path:
    table = StatTable.from_pydict(
        {
            "region": ["3301", "3305", "0301"] * 2,
            "level": ["municipality"] * 6,
            "year": [2019] * 6,
            "age": ["0-17"] * 3 + ["18+"] * 3,
            "variable": ["population"] * 6,
            "value": [20_000.0, 6_000.0, 140_000.0, 80_000.0, 24_000.0, 560_000.0],
        },
        variables=[Variable(id="population", unit="innbygger")],
        geography_year=2024,
        source="demo population",
    )
    return export(table, tmp_path / "population.parquet")


def test_the_whole_pipeline_through_files(survey_2019: Path, population_2024: Path, tmp_path: Path) -> None:
    raw, harmonised, rolled, with_rates = (tmp_path / f"{n}.parquet" for n in ("raw", "h", "r", "rates"))
    _ok("read", str(survey_2019), "-o", str(raw))
    assert sh.read(raw).equals(sh.read(survey_2019))

    _ok("harmonise", str(raw), "--partial", "keep", "--to-year", "2024", "-o", str(harmonised))
    table = sh.read(harmonised)
    assert table.geography_year == 2024
    assert _values(table, "users") == {"3301": 500.0, "3305": 120.0, "0301": ":"}

    _ok(
        "roll-up",
        str(harmonised),
        "--partial",
        "keep",
        "--to",
        "county",
        "--to",
        "national",
        "--keep-input",
        "-o",
        str(rolled),
    )
    table = sh.read(rolled)
    assert sorted(table.levels()) == ["county", "municipality", "national"]
    assert _values(table, "users") == {
        "3301": 500.0,
        "3305": 120.0,
        "0301": ":",
        "33": 620.0,
        "03": ":",
        "0": ":",
    }
    assert _values(table, "fte")["0"] == 30.5 + 4.0 + 12.0 + 610.0

    _ok(
        "rates", str(harmonised), "--population", str(population_2024), "--ages", "18+", "-o", str(with_rates)
    )
    table = sh.read(with_rates)
    assert set(table.variable_ids()) == {"users", "fte", "users_per_10000", "fte_per_10000"}
    assert _values(table, "users_per_10000") == {"3301": 500 / 80_000 * 10_000, "3305": 50.0, "0301": ":"}
    assert table.variable("users_per_10000").denominator == "population"

    workbook = tmp_path / "users.xlsx"
    result = _ok("export", str(with_rates), "-o", str(workbook))
    assert "wrote xlsx" in result.stderr
    book = openpyxl.load_workbook(workbook)
    assert book.sheetnames == ["users", "fte", "users_per_10000", "fte_per_10000", "kilder"]
    rows = [tuple(r) for r in book["users"].iter_rows(values_only=True)]
    assert rows[1] == ("region", "navn", "nivå", "2019 (bruker)")
    assert ("3301", "Drammen", "municipality", 500) in rows
    assert ("0301", "Oslo", "municipality", ":") in rows


def test_steps_compose_through_a_pipe(survey_2019: Path, tmp_path: Path) -> None:
    first = _ok("read", str(survey_2019), "-o", "-")
    assert first.stdout_bytes[:6] == b"\xff\xff\xff\xff" + first.stdout_bytes[4:6]  # an Arrow IPC stream
    second = _ok(
        "harmonise", "-", "--partial", "keep", "--to-year", "2024", "-o", "-", stdin=first.stdout_bytes
    )
    _ok(
        "roll-up",
        "-",
        "--partial",
        "keep",
        "--to",
        "county",
        "-o",
        str(tmp_path / "county.parquet"),
        stdin=second.stdout_bytes,
    )
    county = sh.read(tmp_path / "county.parquet")
    assert _values(county, "users") == {"33": 620.0, "03": ":"}
    assert county.variable("users") == USERS


@pytest.mark.slow
def test_a_real_process_reads_the_pipe(survey_2019: Path, tmp_path: Path) -> None:
    """The binary stream through a real process's standard input and output (one process: they are slow)."""
    stream = _ok("read", str(survey_2019), "-o", "-").stdout_bytes
    out = tmp_path / "users.csv"
    harmonising = subprocess.run(
        [
            sys.executable,
            "-m",
            "samhandling",
            "harmonise",
            "-",
            "--partial",
            "keep",
            "--to-year",
            "2024",
            "-o",
            str(out),
        ],
        input=stream,
        capture_output=True,
        check=True,
        env={**os.environ, "SAMHANDLING_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    assert harmonising.stdout == b""
    assert b"wrote" in harmonising.stderr
    assert "3301,municipality,2019,users,500," in out.read_text(encoding="utf-8")


def test_read_stacks_several_files(tmp_path: Path) -> None:
    paths = []
    for year in (2023, 2024):
        table = StatTable.from_pydict(
            {
                "region": ["3301"],
                "level": ["municipality"],
                "year": [year],
                "variable": ["users"],
                "value": [float(year - 2000)],
            },
            variables=[USERS],
            geography_year=2024,
        )
        paths.append(str(export(table, tmp_path / f"users-{year}.json")))
    result = _ok("read", *paths, "-o", str(tmp_path / "all.parquet"))
    assert "2 rows, years 2023–2024, levels municipality, variables users, geography 2024" in result.stderr
    assert sh.read(tmp_path / "all.parquet").years() == [2023, 2024]


@pytest.mark.parametrize(
    ("arguments", "check"),
    [
        (["-o", "{out}/a.csv", "--norwegian"], "csv"),
        (["-o", "{out}/a.json"], "jsonstat"),
        (["-o", "{out}/a.xlsx", "-O", "layout=long", "-O", "region_labels=false"], "xlsx"),
        (["-o", "{out}/ds", "--partition-by", "year,level"], "dataset"),
        (["-o", "{out}/a.dat", "--format", "parquet"], "parquet"),
    ],
)
def test_export_formats(survey_2019: Path, tmp_path: Path, arguments: list[str], check: str) -> None:
    args = [a.replace("{out}", str(tmp_path)) for a in arguments]
    _ok("export", str(survey_2019), *args)
    original = sh.read(survey_2019)
    if check == "csv":
        text = (tmp_path / "a.csv").read_bytes()
        assert text.startswith(b"\xef\xbb\xbfregion;level;year;variable;value;status")
        assert b"0602;municipality;2019;fte;30,5;" in text
        assert sh.read(tmp_path / "a.csv").equals(original)
    elif check == "jsonstat":
        assert json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))["version"] == "2.0"
        assert sh.read(tmp_path / "a.json").equals(original)
    elif check == "xlsx":
        book = openpyxl.load_workbook(tmp_path / "a.xlsx")
        assert book.sheetnames == ["data", "kilder"]
        assert next(book["data"].iter_rows(min_row=2, max_row=2, values_only=True))[0] == "region"
    elif check == "dataset":
        assert (tmp_path / "ds" / "year=2019" / "level=municipality").is_dir()
        assert sh.read(tmp_path / "ds").equals(original)
    else:
        assert sh.read(tmp_path / "a.dat", source="parquet").equals(original)


def test_harmonise_with_weights_for_a_divided_area(tmp_path: Path) -> None:
    # Snillfjord (5012) was divided between Hitra, Orkland and Heim in 2020
    table = StatTable.from_pydict(
        {
            "region": ["5012"],
            "level": ["municipality"],
            "year": [2019],
            "variable": ["users"],
            "value": [10.0],
        },
        variables=[USERS],
        geography_year=2019,
    )
    source = export(table, tmp_path / "snillfjord.parquet")
    failed = _run("harmonise", str(source), "--to-year", "2024", "-o", str(tmp_path / "x.parquet"))
    assert failed.exit_code == 1
    message = [line for line in failed.output.splitlines() if line.strip()]
    assert len(message) == 1
    assert message[0].startswith("error: ")
    assert "5012" in message[0]
    targets = ("5056", "5059", "5055")  # Hitra, Orkland, Heim
    weights = tmp_path / "weights.csv"
    weights.write_text(
        "old;new;weight\n"
        + "".join(f"5012;{c};{w}\n" for c, w in zip(targets, ("0,5", "0,3", "0,2"), strict=True)),
        encoding="utf-8",
    )
    out = tmp_path / "h.parquet"
    _ok(
        "harmonise",
        str(source),
        "--partial",
        "keep",
        "--to-year",
        "2020",
        "--weights",
        str(weights),
        "-o",
        str(out),
    )
    assert _values(sh.read(out), "users") == pytest.approx({"5056": 5.0, "5059": 3.0, "5055": 2.0})


def test_roll_up_unassigned_areas(survey_2019: Path, tmp_path: Path) -> None:
    harmonised = tmp_path / "h.parquet"
    _ok("harmonise", str(survey_2019), "--partial", "keep", "--to-year", "2024", "-o", str(harmonised))
    failed = _run("roll-up", str(harmonised), "--to", "health_trust", "-o", str(tmp_path / "x.parquet"))
    assert failed.exit_code == 1
    assert "0301 Oslo" in failed.output
    assert "unassigned" in failed.output
    out = tmp_path / "hf.parquet"
    _ok(
        "roll-up",
        str(harmonised),
        "--partial",
        "keep",
        "--to",
        "health_trust",
        "--unassigned",
        "exclude",
        "-o",
        str(out),
    )
    table = sh.read(out)
    assert _values(table, "users") == {"vestre-viken": 620.0}
    assert table.meta.extra["roll_up_excluded"] == ["0301"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["read", "missing.csv", "-o", "x.parquet"], "error: missing.csv: no such file or folder"),
        (
            ["rates", "{survey}", "--population", "{survey}", "--ages", "old", "-o", "x.parquet"],
            "is not an age group",
        ),
        (["read", "{survey}", "-O", "sheet", "-o", "x.parquet"], "'sheet' is not KEY=VALUE"),
        (["export", "{survey}", "-o", "x.xlsx", "--norwegian"], "--norwegian is a CSV option"),
        (["export", "{survey}", "-o", "x.ods"], "no exporter writes files like 'x.ods'"),
        (["export", "{survey}", "-o", "-"], "export writes files"),
        (["roll-up", "{survey}", "--to", "kommune", "-o", "x.parquet"], "'kommune' is not one of"),
        (
            ["harmonise", "-", "--to-year", "2024", "-o", "x.parquet"],
            "standard input does not hold an Arrow IPC",
        ),
    ],
)
def test_errors_are_one_clear_line(survey_2019: Path, tmp_path: Path, args: list[str], message: str) -> None:
    os.chdir(tmp_path)
    result = _run(*[a.replace("{survey}", str(survey_2019)) for a in args], stdin=b"not arrow")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_rates_only_rates_and_chosen_variables(
    survey_2019: Path, population_2024: Path, tmp_path: Path
) -> None:
    harmonised = tmp_path / "h.parquet"
    _ok("harmonise", str(survey_2019), "--partial", "keep", "--to-year", "2024", "-o", str(harmonised))
    out = tmp_path / "r.parquet"
    _ok(
        "rates", str(harmonised), "--population", str(population_2024), "--ages", "0-17",
        "--variable", "fte", "--only-rates", "-o", str(out),
    )  # fmt: skip
    table = sh.read(out)
    assert table.variable_ids() == ["fte_per_10000"]
    assert _values(table, "fte_per_10000")["3305"] == pytest.approx(12.0 / 6_000 * 10_000)


@pytest.mark.parametrize("command", ["read", "harmonise", "roll-up", "rates", "export"])
def test_help_shows_a_real_example(command: str) -> None:
    result = _ok(command, "--help")
    assert "Examples:" in result.output
    assert f"samhandling {command} " in result.output


def test_quiet_prints_nothing(survey_2019: Path, tmp_path: Path) -> None:
    result = _ok("read", str(survey_2019), "-o", str(tmp_path / "x.parquet"), "--quiet")
    assert result.output == ""


def test_dimension_columns_survive_the_pipe(tmp_path: Path) -> None:
    table = StatTable.from_pydict(
        {
            "region": ["3301", "3301"],
            "level": ["municipality"] * 2,
            "year": [2024] * 2,
            "age": pa.array([18, 67], pa.int16()),
            "variable": ["users"] * 2,
            "value": [1.0, 2.0],
        },
        variables=[USERS],
        geography_year=2024,
    )
    piped = _ok("read", str(export(table, tmp_path / "t.parquet")), "-o", "-").stdout_bytes
    _ok("export", "-", "-o", str(tmp_path / "t.json"), stdin=piped)
    assert sh.read(tmp_path / "t.json").equals(table)


def test_progress_is_shown_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, survey_2019: Path, tmp_path: Path
) -> None:
    import io

    from rich.console import Console

    import samhandling.cli.pipeline as pipeline

    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    monkeypatch.setattr(pipeline, "_console", lambda: terminal)
    _ok("read", str(survey_2019), str(survey_2019), "-o", str(tmp_path / "x.parquet"))
    shown = screen.getvalue()
    assert "reading" in shown
    assert "survey-2019.parquet" in shown
    assert "wrote" in shown


def test_roll_up_with_weights_for_a_split_municipality(survey_2019: Path, tmp_path: Path) -> None:
    harmonised = tmp_path / "h.parquet"
    _ok("harmonise", str(survey_2019), "--partial", "keep", "--to-year", "2024", "-o", str(harmonised))
    weights = tmp_path / "oslo.csv"
    weights.write_text(
        "region,parent,weight\n0301,ous,0.5\n0301,lovisenberg,0.2\n0301,diakonhjemmet,0.2\n0301,ahus,0.1\n",
        encoding="utf-8",
    )
    out = tmp_path / "hf.parquet"
    _ok(
        "roll-up",
        str(harmonised),
        "--partial",
        "keep",
        "--to",
        "health_trust",
        "--weights",
        str(weights),
        "-o",
        str(out),
    )
    fte = _values(sh.read(out), "fte")
    assert fte == pytest.approx(
        {"ous": 305.0, "lovisenberg": 122.0, "diakonhjemmet": 122.0, "ahus": 61.0, "vestre-viken": 46.5}
    )


@pytest.fixture
def mixed_levels(tmp_path: Path) -> Path:
    """Users as SSB serves them: the country, a county and its municipalities, on the 2019 map."""
    table = StatTable.from_pydict(
        {
            "region": ["0", "06", "0602", "0625"],
            "level": ["national", "county", "municipality", "municipality"],
            "year": [2019] * 4,
            "variable": ["users"] * 4,
            "value": [9000.0, 700.0, 400.0, 100.0],
        },
        variables=[USERS],
        geography_year=2019,
    )
    return export(table, tmp_path / "mixed.parquet")


def test_read_keeps_the_levels_asked_for(mixed_levels: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.parquet"
    _ok("read", str(mixed_levels), "--level", "municipality", "--level", "national", "-o", str(out))
    assert sorted(sh.read(out).levels()) == ["municipality", "national"]


def test_harmonise_selects_levels_before_it_harmonises(mixed_levels: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.parquet"
    _ok(
        "harmonise",
        str(mixed_levels),
        "--to-year",
        "2020",
        "--level",
        "municipality",
        "--partial",
        "keep",
        "-o",
        str(out),
    )
    # Drammen and Nedre Eiker merged in 2020 (without Svelvik, which the fixture lacks: a partial sum)
    assert _values(sh.read(out), "users") == {"3005": 500.0}


def test_export_writes_only_the_levels_asked_for(mixed_levels: Path, tmp_path: Path) -> None:
    out = tmp_path / "county.csv"
    _ok("export", str(mixed_levels), "--level", "county", "-o", str(out))
    assert _values(sh.read(out), "users") == {"06": 700.0}


def test_a_level_the_table_lacks_is_an_error(mixed_levels: Path, tmp_path: Path) -> None:
    result = _run("read", str(mixed_levels), "--level", "dps", "-o", str(tmp_path / "x.parquet"))
    assert result.exit_code == 1
    assert "has no rows at level dps; its levels are national, county, municipality" in result.output


def test_the_level_choices_are_the_library_levels() -> None:
    from samhandling.levels import Level

    result = _run("read", "x.csv", "--level", "kommune", "-o", "x.parquet")
    assert result.exit_code == 2
    assert all(level.value in result.output for level in Level)


def test_options_pass_through_to_the_library_function() -> None:
    from samhandling.cli.pipeline import _pass_through

    def function(table: object, *, weights: object = None, counties: str = "formal") -> None:
        """A library function with one option the command does not set itself."""

    assert _pass_through(function, ["counties=drop"], taken=("weights",)) == {"counties": "drop"}
    with pytest.raises(
        click.BadParameter, match=r"'weights' is not an option here; the options are: counties="
    ):
        _pass_through(function, ["weights=1"], taken=("weights",))


def test_an_unknown_pass_through_option_is_refused(survey_2019: Path, tmp_path: Path) -> None:
    result = _run("harmonise", str(survey_2019), "--to-year", "2024", "-O", "colour=red", "-o", "x.parquet")
    assert result.exit_code == 2
    assert "'colour' is not an option here" in result.output


@pytest.mark.parametrize("command", ["harmonise", "report"])
def test_year_ranges_are_the_years_the_geography_covers(command: str) -> None:
    from samhandling.geography import FIRST_YEAR, LAST_YEAR

    result = _ok(command, "--help")
    assert f"{FIRST_YEAR}<=x<={LAST_YEAR}" in result.output
    assert "1900" not in result.output
