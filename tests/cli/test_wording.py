"""Errors in the caller's terms: ``population=...`` from Python, ``--population FILE`` on the command line.

The library names the parameter that gets past an error as a :class:`~samhandling.errors.Parameter`;
the command spells it as its own option, or as ``-O name=value`` where it passes options through.
"""

from __future__ import annotations

import pickle
from importlib import metadata
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import samhandling as sh
from samhandling import StatTable, Variable
from samhandling.cli import main
from samhandling.cli.wording import option_speller
from samhandling.errors import Parameter, ParseError, SamhandlingError, SourceError
from samhandling.exporters import export

ROOT = Path(__file__).resolve().parents[2]
STATBANK_CSV = ROOT / "examples" / "data" / "12228-buskerud-2018-2019.csv"


@pytest.fixture
def alesund_2022(tmp_path: Path) -> Path:
    """A row of 1507 Ålesund, which was divided into 1508 Ålesund and 1580 Haram in 2024."""
    table = StatTable.from_pydict(
        {
            "region": ["1507"],
            "level": ["municipality"],
            "year": [2022],
            "variable": ["users"],
            "value": [10.0],
        },
        variables=[Variable(id="users", unit="bruker")],
        geography_year=2022,
    )
    return export(table, tmp_path / "viken.parquet")


@pytest.fixture
def oslo_population(tmp_path: Path) -> Path:
    """A population table without the areas Ålesund was divided into, so it cannot share Ålesund out.

    (Without a population table, the one the library ships shares it by the 2019 population.)
    """
    table = StatTable.from_pydict(
        {
            "region": ["0301"],
            "level": ["municipality"],
            "year": [2022],
            "variable": ["population"],
            "value": [7e5],
        },
        variables=[Variable(id="population", unit="innbygger")],
        geography_year=2022,
    )
    return export(table, tmp_path / "population.parquet")


def test_python_callers_read_the_parameter_as_a_keyword(alesund_2022: Path, oslo_population: Path) -> None:
    with pytest.raises(SamhandlingError) as caught:
        sh.harmonise(sh.read(alesund_2022), 2024, population=sh.read(oslo_population))

    message = str(caught.value)
    assert "1507 Ålesund is divided between 1508 Ålesund + 1580 Haram" in message
    assert (
        "give population=... (variable 'population' for the new areas) or weights=pyarrow.table(" in message
    )
    assert [p.name for p in caught.value.parameters] == ["population", "weights"]


def test_the_command_names_its_own_options(alesund_2022: Path, oslo_population: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "harmonise",
            str(alesund_2022),
            "--to-year",
            "2024",
            "--population",
            str(oslo_population),
            "-o",
            str(tmp_path / "x.parquet"),
        ],
    )

    assert result.exit_code == 1
    assert (
        "give --population FILE (variable 'population' for the new areas) or --weights FILE" in result.output
    )
    assert "population=" not in result.output
    assert "pyarrow" not in result.output


def test_no_source_names_the_source_option() -> None:
    with pytest.raises(SourceError, match=r"name the one to use with source='NAME'"):
        sh.sources.find_source(STATBANK_CSV)

    result = CliRunner().invoke(main, ["read", str(STATBANK_CSV), "-o", "x.parquet"])
    assert "name the one to use with --source NAME" in result.output
    assert "source=" not in result.output


def test_no_source_says_which_plugin_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    def not_installed(name: str) -> metadata.Distribution:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", not_installed)

    with pytest.raises(SourceError) as caught:
        sh.read(STATBANK_CSV)

    assert (
        "it looks like an SSB statbank CSV download, which the samhandling-kostra plugin reads — install it "
        "(from a checkout of samhandling: python3 -m pip install ./plugins/kostra)"
    ) in str(caught.value)


def test_no_source_says_when_the_installed_plugin_does_not_recognise_the_file(tmp_path: Path) -> None:
    # The plugins are installed in the test environment, but not loaded here (autoload is off).
    with pytest.raises(SourceError, match="the installed samhandling-kostra plugin does not recognise it"):
        sh.read(STATBANK_CSV)


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("svar.csv", "Kommunenr;Kommune;Årsverk i alt\n3401;Kongsvinger;12,5\n", "an IS-24/8 survey file"),
        ("tabell.json", '{"version": "2.0", "class": "dataset", "dimension": {}}', "a JSON-stat dataset"),
        (
            "innleggelser.csv",
            "enhet;jan;feb;mar;apr;mai;jun;jul;aug;sep;okt;nov;des\nDPS;1;2;3;4;5;6;7;8;9;10;11;12\n",
            "a NIMES monthly admission table",
        ),
        (
            "opphold.csv",
            "pasient_id;kommune;enhet;innskrevet;utskrevet\n1;3301;DPS;2024-01-01;2024-01-03\n",
            "a NIMES stay-level extract",
        ),
        (
            "12345.csv",
            '"12345: Befolkning"\n\n"region";"år";"Personer"\n"3301 Drammen";"2024";1\n',
            "statbank",
        ),
    ],
)
def test_the_kind_of_file_is_told_from_its_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, kind: str
) -> None:
    monkeypatch.setattr(
        metadata, "distribution", lambda n: (_ for _ in ()).throw(metadata.PackageNotFoundError(n))
    )
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    with pytest.raises(SourceError) as caught:
        sh.sources.find_source(path)

    assert kind in str(caught.value)


def test_a_file_of_no_known_kind_gets_no_plugin_hint(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")

    with pytest.raises(SourceError) as caught:
        sh.sources.find_source(path)

    assert "looks like" not in str(caught.value)


# -- the speller ------------------------------------------------------------------------------------


@click.command()
@click.option("--weights", metavar="FILE")
@click.option("--unassigned", type=click.Choice(["error", "exclude"]))
@click.option("--strict", is_flag=True)
@click.option("-O", "--option", "options", multiple=True, metavar="KEY=VALUE")
def _command(weights: str | None, unassigned: str | None, strict: bool, options: tuple[str, ...]) -> None:
    """A command with an option of each kind."""


@click.command()
def _bare() -> None:
    """A command without options."""


@pytest.mark.parametrize(
    ("parameter", "spelled"),
    [
        (Parameter(name="weights"), "--weights FILE"),
        (Parameter(name="weights", example="pyarrow.table({'old': ...})"), "--weights FILE"),
        (Parameter(name="unassigned", example="'exclude'"), "--unassigned exclude"),
        (Parameter(name="strict", example="True"), "--strict"),
        (Parameter(name="encoding"), "-O encoding=VALUE"),
        (Parameter(name="year", example="2023"), "-O year=2023"),
        (
            Parameter(name="geography", example="Geography.for_year(2024)"),
            "geography=Geography.for_year(2024)",
        ),
    ],
)
def test_a_command_spells_a_parameter_as_its_option(parameter: Parameter, spelled: str) -> None:
    assert option_speller(_command)(parameter) == spelled


def test_without_an_option_the_python_spelling_stays() -> None:
    spell = option_speller(_bare)

    assert spell(Parameter(name="encoding")) == "encoding=..."
    assert spell(Parameter(name="population", owner="CheckContext")) == "CheckContext(population=...)"


def test_an_error_in_parts_is_still_an_ordinary_exception() -> None:
    error = ParseError("cannot decode; give ", Parameter(name="encoding"), path="x.csv", line=3)

    assert str(error) == "x.csv, line 3: cannot decode; give encoding=..."
    assert error.reason == "cannot decode; give encoding=..."
    assert error.render(lambda p: f"--{p.name}") == "x.csv, line 3: cannot decode; give --encoding"
    assert str(pickle.loads(pickle.dumps(error))) == str(error)
    assert str(SourceError("plain text")) == "plain text"
