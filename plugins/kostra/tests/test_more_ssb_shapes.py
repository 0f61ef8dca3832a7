"""Shapes of SSB's outputs met in statbank downloads and API answers beyond the corpus in
``../shared/real-data/ssb``, each pinned by a small file of our own written here: the ``K.`` prefix of
some downloads, title-less tab-separated tables without a region, contents labels with their unit in
brackets in combined column headers, and the three-digit house-price regions of a JSON-stat answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from samhandling_kostra import parse_region_label, read_statbank_csv
from samhandling_kostra.regions import UnreadableRegion

import samhandling as sh
from samhandling.errors import ParseError
from samhandling.inference import infer_variable
from samhandling.plugins import PluginManager, get_plugin_manager
from samhandling.tables import StatTable


@pytest.fixture(scope="module")
def pm() -> PluginManager:
    import samhandling_kostra

    return get_plugin_manager(autoload=False, extra=[samhandling_kostra])


def _rows(table: StatTable, *keys: str) -> dict[tuple[object, ...], dict[str, object]]:
    StatTable.from_arrow(table.arrow)  # every table passes the library's own validation
    return {tuple(row[k] for k in keys): row for row in table.to_pylist()}


@pytest.mark.parametrize(
    ("label", "code", "level"),
    [
        ("K.3101 Halden", "3101", "municipality"),
        ("K.0301 Oslo", "0301", "municipality"),
        ("F.33 Buskerud", "33", "county"),
        ("K.Rest Delte kommuner og uoppgitt", "Rest", "unallocated"),
        ("K.21-22 Svalbard og Jan Mayen", "21-22", "unallocated"),
        ("001 Oslo med Bærum", "001", "region_group"),
        ("0399 Uoppgitt komm. Oslo", "0399", "unallocated"),
        ("0199 Uoppgitt kommune Østfold", "0199", "unallocated"),
        ("011 Nord-Norge", "011", "region_group"),
    ],
)
def test_dotted_prefixes_and_three_digit_divisions(label: str, code: str, level: str) -> None:
    parsed = parse_region_label(label)
    assert (parsed.code, parsed.level) == (code, level)
    assert parsed.is_area == (level == "municipality" or level == "county")


@pytest.mark.parametrize("label", ["301 Oslo", "K-301 Oslo", "301", "101 Halden"])
def test_a_municipality_whose_leading_zero_was_lost_is_not_a_division(label: str) -> None:
    # a spreadsheet turns "0301 Oslo" into "301 Oslo": never read as one of SSB's three-digit divisions
    with pytest.raises(UnreadableRegion, match=r"leading zero lost"):
        parse_region_label(label)


def test_lost_leading_zeros_in_a_file_name_the_file_and_row(tmp_path: Path, pm: PluginManager) -> None:
    path = tmp_path / "saved-by-a-spreadsheet.csv"
    path.write_text(
        '"region";"statistikkvariabel";"2022"\n"0301 Oslo";"Innbyggere";"699827"\n'
        '"301 Oslo";"Innbyggere";"699827"\n',
        encoding="utf-8",
    )
    with pytest.raises(ParseError, match=r"leading zero lost") as caught:
        sh.read(path, plugin_manager=pm)
    assert "saved-by-a-spreadsheet.csv" in str(caught.value)


def test_a_dotted_prefix_still_names_its_level() -> None:
    with pytest.raises(UnreadableRegion, match=r"prefix 'K\.' means a municipality"):
        parse_region_label("K.33 Buskerud")


def test_k_dot_prefix_tab_separated_with_symbols_in_latin1(tmp_path: Path, pm: PluginManager) -> None:
    # Statbank "tab-separated with header" of 07944 (no title), regions written "K.3101 Halden".
    lines = [
        ["statistikkvariabel", "region", "fagutdanning", "sektor", "2008", "2009", "2010"],
        ["Sysselsatte", "K.3101 Halden", "Helsesykepleier og jordmor", "Statsforvaltningen", "0", "..", ".."],
        ["Sysselsatte", "K.3103 Moss", "Helsesykepleier og jordmor", "Statsforvaltningen", "..", "3", "5"],
        [
            "Sysselsatte",
            "K.3114 Våler (Østfold)",
            "Helsesykepleier og jordmor",
            "Kommuneforvaltningen",
            "6",
            "5",
            "5",
        ],
    ]
    # labels quoted, values not (as PxWeb writes them)
    text = "\n".join(
        "\t".join(f'"{c}"' if (n == 0 or i < 4) else c for i, c in enumerate(row))
        for n, row in enumerate(lines)
    )
    path = tmp_path / "07944.csv"
    path.write_bytes((text + "\n").encode("latin-1"))
    table = sh.read(path, plugin_manager=pm)
    assert table.source == "ssb-csv"
    rows = _rows(table, "region", "year")
    assert {r["level"] for r in rows.values()} == {"municipality"}
    assert rows[("3101", 2008)]["value"] == 0.0
    assert rows[("3101", 2008)]["status"] is None
    assert rows[("3101", 2009)]["value"] is None
    assert rows[("3101", 2009)]["status"] == ".."
    assert rows[("3103", 2010)]["value"] == 5.0
    assert rows[("3114", 2008)]["sektor"] == "Kommuneforvaltningen"
    assert table.num_rows == 9


@pytest.mark.parametrize(
    ("text", "variables", "key", "value"),
    [
        # 09745: two contents as value columns, a time column, no region (Norwegian)
        (
            '"kjønn"\t"år"\t"Levendefødte"\t"Dødfødte"\n"Begge kjønn"\t"1986"\t52514\t268\n'
            '"Gutter"\t"2024"\t27884\t64\n',
            ["levendefodte", "dodfodte"],
            ("dodfodte", 2024, None),
            64.0,
        ),
        # the same in English
        (
            '"sex"\t"year"\t"Live births"\t"Stillbirths"\n"Both sexes"\t"1986"\t52514\t268\n'
            '"Boys"\t"2024"\t27884\t64\n',
            ["live_births", "stillbirths"],
            ("live_births", 1986, None),
            52514.0,
        ),
        # 10701: months, a decimal point, one contents column
        (
            '"type renter"\t"måned"\t"Renter"\n"Norges Banks foliorente (styringsrenten)"\t"2018M10"\t0.75\n'
            '"Norges Banks foliorente (styringsrenten)"\t"2019M03"\t1.00\n',
            ["renter"],
            ("renter", 2019, 3),
            1.0,
        ),
        # 14458: the contents and the year in the value column headers
        (
            '"materialtype"\t"behandlingsmåte"\t"Avfallsmengde 2015"\t"Avfallsmengde 2022"\n'
            '"Glass"\t"Levert til deponering"\t1\t9\n',
            ["avfallsmengde"],
            ("avfallsmengde", 2022, None),
            9.0,
        ),
    ],
)
def test_national_tables_with_a_header_and_no_title_are_recognised(
    tmp_path: Path,
    pm: PluginManager,
    text: str,
    variables: list[str],
    key: tuple[object, ...],
    value: float,
) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(text.encode("latin-1"))
    table = sh.read(path, plugin_manager=pm)
    assert table.source == "ssb-csv"
    assert table.variable_ids() == variables
    assert set(table.levels()) == {"national"}
    month = "month" in table.columns
    found = [r for r in table.to_pylist() if (r["variable"], r["year"], r["month"] if month else None) == key]
    assert [r["value"] for r in found][:1] == [value]


def test_interest_rates_are_not_summed(tmp_path: Path) -> None:
    path = tmp_path / "renter.csv"
    path.write_text('"type renter"\t"måned"\t"Renter"\n"Foliorente"\t"2018M10"\t0.75\n', encoding="utf-8")
    assert read_statbank_csv(path).variable("renter").additive is False


@pytest.mark.parametrize(
    "text",
    [
        "år;antall\n2020;5\n",  # not quoted: not written by PxWeb
        '"år";"antall"\n"tjue"\t5\n',  # no period where the time column is
        '"navn";"verdi"\n"a";1\n',  # neither periods nor SSB's columns
    ],
)
def test_other_csv_files_are_left_to_other_sources(tmp_path: Path, pm: PluginManager, text: str) -> None:
    from samhandling_kostra.statbank import looks_like_statbank_csv

    path = tmp_path / "other.csv"
    path.write_text(text, encoding="utf-8")
    assert not looks_like_statbank_csv(path)


def test_contents_with_their_unit_in_combined_headers(tmp_path: Path) -> None:
    # 13760: the title lists måned, statistikkvariabel, type justering and alder; the headers combine the
    # last three, and the contents label carries its unit in brackets.
    header = ['"måned"'] + [
        f'"{what} (1000 personer) Ikke sesongjustert {age} år"'
        for what in ("Arbeidsstyrken", "Arbeidsledige")
        for age in ("15-74", "15-24")
    ]
    text = (
        '"13760: Arbeidsstyrken, sysselsatte, arbeidsledige  og utførte ukeverk for personer 15-74 år, '
        'etter måned, statistikkvariabel, type justering og alder"\n'
        + ";".join(header)
        + '\n"2006M01";2434;331;103;37\n"2025M12";3010;435;117;48\n'
    )
    path = tmp_path / "13760.csv"
    path.write_text(text, encoding="utf-8")
    table = read_statbank_csv(path)
    rows = _rows(table, "variable", "year", "month", "age")
    assert rows[("arbeidsledige", 2025, 12, "15-24")]["value"] == 48.0
    assert rows[("arbeidsstyrken", 2006, 1, "15-74")]["type_justering"] == "Ikke sesongjustert"
    labour_force = table.variable("arbeidsstyrken")
    assert labour_force.label == "Arbeidsstyrken (1000 personer)"
    assert labour_force.unit == "thousand_persons"  # never a plain count a thousand times too small
    assert table.quantity("arbeidsstyrken").to("person").magnitude[0] == pytest.approx(2_434_000)


def test_a_scaled_unit_without_an_equivalent_is_kept_not_dropped() -> None:
    inferred = infer_variable("eksport", label="Eksport (1000 liter)")
    assert inferred.variable.unit == "dimensionless"
    assert inferred.unmapped_unit == "1000 liter"
    assert infer_variable("x", label="Personer (15 år og over)").variable.unit == "count"


def _house_price_index() -> dict[str, object]:
    regions = {"TOTAL": "Hele landet", "001": "Oslo med Bærum", "011": "Nord-Norge"}
    quarters = ["2022K1", "2022K2"]
    values: list[float | None] = [136.2, 144.5, 117.8, 122.4, None, None]
    return {
        "version": "2.0",
        "class": "dataset",
        "label": (
            "07221: Prisindeks for brukte boliger, etter region, boligtype, statistikkvariabel og kvartal"
        ),
        "source": "Statistisk sentralbyrå",
        "note": [".. = Tallgrunnlag mangler."],
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
        "id": ["Region", "Boligtype", "ContentsCode", "Tid"],
        "size": [3, 1, 1, 2],
        "dimension": {
            "Region": {
                "label": "region",
                "category": {"index": {k: i for i, k in enumerate(regions)}, "label": regions},
                "extension": {"elimination": True, "eliminationValueCode": "TOTAL", "show": "value"},
                "link": {"describedby": [{"extension": {"Region": "urn:ssb:classification:klass:30"}}]},
            },
            "Boligtype": {
                "label": "boligtype",
                "category": {"index": {"01": 0}, "label": {"01": "Eneboliger"}},
            },
            "ContentsCode": {
                "label": "statistikkvariabel",
                "category": {
                    "index": {"Boligindeks": 0},
                    "label": {"Boligindeks": "Prisindeks for brukte boliger"},
                    "unit": {"Boligindeks": {"base": "indeks", "decimals": 1}},
                },
            },
            "Tid": {
                "label": "kvartal",
                "category": {
                    "index": {q: i for i, q in enumerate(quarters)},
                    "label": {q: q for q in quarters},
                },
            },
        },
        "value": values,
        "status": {"4": "..", "5": ".."},
    }


def test_house_price_regions_of_a_jsonstat_answer(tmp_path: Path, pm: PluginManager) -> None:
    path = tmp_path / "07221.json"
    path.write_text(json.dumps(_house_price_index(), ensure_ascii=False), encoding="utf-8")
    table = sh.read(path, plugin_manager=pm)
    assert table.source == "jsonstat"
    rows = _rows(table, "region", "year", "quarter")
    assert rows[("0", 2022, 2)]["value"] == 144.5
    assert rows[("0", 2022, 2)]["level"] == "national"
    assert rows[("001", 2022, 1)]["value"] == 117.8
    assert rows[("001", 2022, 1)]["level"] == "region_group"
    assert rows[("011", 2022, 2)]["status"] == ".."
    assert rows[("011", 2022, 2)]["value"] is None
    assert table.meta.extra["region_names"]["001"] == "Oslo med Bærum"
    assert table.variable("boligindeks").additive is False
    dropped = sh.read(path, plugin_manager=pm, groups="drop")
    assert set(dropped.levels()) == {"national"}
    assert dropped.meta.extra["dropped_regions"] == {"001": "Oslo med Bærum", "011": "Nord-Norge"}


def _urban_settlements(values: list[float | None] | None) -> dict[str, object]:
    """PxWebApi 2's answer for table 14216: two dimensions with the role ``geo`` (the municipality and the
    urban settlement in it); its metadata answer has the same dimensions and an empty ``value``."""
    regions = {"3101": "Halden", "0101": "Halden (-2019)", "0399": "Uoppgitt komm. Oslo"}
    settlements = {"0801": "Oslo", "0802": "Movatn"}
    document: dict[str, object] = {
        "version": "2.0",
        "class": "dataset",
        "label": "14216: Areal og befolkning i tettsteder (K) (T) 2000-2026",
        "source": "Statistisk sentralbyrå",
        "role": {"time": ["Tid"], "geo": ["Region", "TettSted"], "metric": ["ContentsCode"]},
        "id": ["Region", "TettSted", "ContentsCode", "Tid"],
        "size": [3, 2, 1, 1],
        "dimension": {
            "Region": {
                "label": "region",
                "category": {"index": {k: i for i, k in enumerate(regions)}, "label": regions},
            },
            "TettSted": {
                "label": "tettsted",
                "category": {
                    "index": {"0801": 159, "0802": 160} if values is None else {"0801": 0, "0802": 1},
                    "label": settlements,
                },
            },
            "ContentsCode": {
                "label": "statistikkvariabel",
                "category": {
                    "index": {"Bosatte": 0},
                    "label": {"Bosatte": "Bosatte"},
                    "unit": {"Bosatte": {"base": "personer", "decimals": 0}},
                },
            },
            "Tid": {"label": "år", "category": {"index": {"2021": 0}, "label": {"2021": "2021"}}},
        },
        "value": [] if values is None else values,
    }
    if values is not None:
        document["status"] = {str(i): ".." for i, v in enumerate(values) if v is None}
    return document


def test_two_geo_dimensions_keep_the_settlement_apart(tmp_path: Path, pm: PluginManager) -> None:
    path = tmp_path / "14216.json"
    values: list[float | None] = [1021.0, None, None, None, 0.0, None]
    path.write_text(json.dumps(_urban_settlements(values), ensure_ascii=False), encoding="utf-8")
    table = sh.read(path, plugin_manager=pm)
    rows = _rows(table, "region", "tettsted")
    assert rows[("3101", "Oslo")]["value"] == 1021.0
    assert rows[("3101", "Oslo")]["level"] == "municipality"
    assert rows[("0399", "Oslo")]["level"] == "unallocated"  # never a municipality
    assert rows[("0399", "Oslo")]["value"] == 0.0
    assert rows[("0101", "Movatn")]["status"] == ".."
    assert table.variable("bosatte").unit == "person"


def test_a_metadata_answer_is_refused_with_what_it_is(tmp_path: Path, pm: PluginManager) -> None:
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(_urban_settlements(None), ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ParseError, match=r"table metadata .*3 × 2 × 1 × 1.*Fetch /tables/\{id\}/data"):
        sh.read(path, plugin_manager=pm)
