"""StatTable: the canonical schema, status symbols, metadata and interchange."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from samhandling import Provenance, StatTable, Status, Variable
from samhandling.errors import SchemaError
from samhandling.testing import example_table


def _rows(**overrides: list[object]) -> dict[str, list[object]]:
    rows: dict[str, list[object]] = {
        "region": ["3301", "3305"],
        "level": ["municipality", "municipality"],
        "year": [2024, 2024],
        "variable": ["fte", "fte"],
        "value": [12.5, None],
        "status": [None, ":"],
    }
    rows.update(overrides)
    return rows


def test_canonical_types_and_column_order() -> None:
    table = StatTable.from_pydict(
        {**_rows(), "profession": ["sykepleier", "psykolog"]}, variables=[Variable(id="fte", unit="årsverk")]
    )
    schema = table.arrow.schema
    assert table.columns == ["region", "level", "year", "profession", "variable", "value", "status"]
    assert schema.field("year").type == pa.int16()
    assert pa.types.is_dictionary(schema.field("level").type)
    assert pa.types.is_dictionary(schema.field("variable").type)
    assert pa.types.is_dictionary(schema.field("status").type)
    assert schema.field("value").type == pa.float64()
    assert table.dimensions == ["profession"]


def test_suppressed_value_keeps_its_status_and_stays_empty() -> None:
    table = StatTable.from_pydict(_rows(), variables=[Variable(id="fte", unit="årsverk")])
    assert table.status_counts() == {None: 1, ":": 1}
    row = table.where(region="3305").to_pylist()[0]
    assert row["value"] is None
    assert Status(row["status"]) is Status.SUPPRESSED
    assert Status.SUPPRESSED.label.startswith("Vises ikke")


def test_dash_means_zero() -> None:
    table = StatTable.from_pydict(_rows(value=[None, None], status=["-", ":"]))
    assert table.where(region="3301").to_pylist()[0]["value"] == 0.0
    assert Status("-").means_zero


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"level": ["municipality", "kommune"]}, r"column 'level' has unknown value\(s\) \['kommune'\]"),
        ({"status": [None, "x"]}, r"unknown symbol\(s\) \['x'\]"),
        ({"value": [12.5, 3.0]}, r"row 1: value 3.0 has status ':'"),
        (
            {"status": [None, None]},
            r"row 1 \(region '3305', variable 'fte'\): value is empty but status is not set",
        ),
        ({"year": ["2024", "2024"]}, r"column 'year' must hold integers"),
        ({"region": [3301, 3305]}, r"column 'region' must hold strings"),
        ({"region": ["3301", None]}, r"column 'region' has 1 empty value\(s\), the first at row 1"),
        ({"value": [1.0, None], "status": ["-", ":"]}, r"status '-' means zero, but the value is 1.0"),
    ],
)
def test_schema_errors_name_the_column_and_the_problem(
    overrides: dict[str, list[object]], message: str
) -> None:
    with pytest.raises(SchemaError, match=message):
        StatTable.from_pydict(_rows(**overrides))


def test_missing_column_and_bad_month() -> None:
    rows = _rows()
    del rows["variable"]
    with pytest.raises(SchemaError, match="column 'variable' is missing"):
        StatTable.from_pydict(rows)
    with pytest.raises(SchemaError, match="column 'month' must be 1–12, found 13 at row 1"):
        StatTable.from_pydict({**_rows(), "month": [1, 13]})


def test_nan_is_treated_as_an_empty_value() -> None:
    with pytest.raises(SchemaError, match="value is empty but status is not set"):
        StatTable.from_pydict(_rows(value=[float("nan"), None]))


def test_undeclared_variable_is_refused_when_metadata_is_given() -> None:
    with pytest.raises(SchemaError, match=r"variable\(s\) \['fte'\] appear .* no entry"):
        StatTable.from_pydict(_rows(), variables=[Variable(id="users", unit="person")])


def test_ratio_variables_need_both_parts() -> None:
    with pytest.raises(SchemaError, match="give both numerator and denominator"):
        Variable(id="rate", additive=False, numerator="fte")
    with pytest.raises(SchemaError, match="additive variable has no numerator"):
        Variable(id="rate", additive=True, numerator="fte", denominator="population")


def test_metadata_travels_in_the_schema() -> None:
    table = example_table()
    provenance = Provenance(source="test", location="fil.csv", checksum="sha256:00")
    table = table.with_arrow(table.arrow, provenance=(provenance,))
    raw = table.arrow.schema.metadata[b"samhandling"]
    payload = json.loads(raw)
    assert payload["geography_year"] == 2024
    assert payload["variables"]["fte_per_10000"]["denominator"] == "population"
    again = StatTable.from_arrow(table.arrow)
    assert again.meta == table.meta
    assert again.equals(table)


def test_provenance_of_a_file_has_a_checksum(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "data.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    provenance = Provenance.for_file("test", path)
    assert provenance.checksum == "sha256:" + __import__("hashlib").sha256(b"a;b\n1;2\n").hexdigest()
    assert provenance.location.endswith("data.csv")


def test_quantity_and_convert_keep_units_and_empty_values() -> None:
    table = example_table()
    fte = table.quantity("fte")
    assert str(fte.units) == "arsverk"
    converted = table.convert("fte", "stillingsprosent")
    assert converted.unit_of("fte") == "stillingsprosent"
    values = converted.where(variable="fte", region="3301").to_pylist()
    assert [v["value"] for v in values] == [1250.0, None]
    assert [v["status"] for v in values] == [None, ":"]


def test_concat_checks_geography_years_and_variables() -> None:
    table = example_table()
    both = StatTable.concat([table, table])
    assert both.num_rows == 2 * table.num_rows
    other = table.with_arrow(table.arrow, geography_year=2023)
    with pytest.raises(SchemaError, match="different geography years"):
        StatTable.concat([table, other])
    fte = table.meta.variables["fte"]
    clash = table.with_arrow(
        table.arrow, variables=[fte, Variable(id="fte_per_10000", unit="årsverk", additive=True)]
    )
    with pytest.raises(SchemaError, match="declared differently"):
        StatTable.concat([table, clash])


def test_concat_stacks_encoded_and_plain_region_columns() -> None:
    # a NIMES aggregate keeps its regions dictionary-encoded through harmonise and roll_up; other tables
    # have them as plain strings
    table = example_table()
    region = table.arrow.column("region")
    encoded = StatTable(
        table.arrow.set_column(
            table.arrow.column_names.index("region"), "region", region.dictionary_encode()
        ),
        table.meta,
    )
    both = StatTable.concat([encoded, table])
    assert both.num_rows == 2 * table.num_rows
    assert both.arrow.column("region").to_pylist() == region.to_pylist() * 2
    assert StatTable.concat([encoded, encoded]).num_rows == 2 * table.num_rows


def test_where_filter_and_subset() -> None:
    table = example_table()
    assert table.where(level="county").num_rows == 1
    assert table.where(region=["3301", "3305"], variable="fte").num_rows == 4
    subset = table.variables_subset(["fte_per_10000"])
    assert subset.variable_ids() == ["fte_per_10000"]
    assert list(subset.variables) == ["fte_per_10000"]
    assert table.filter(pc.field("value") > 10).num_rows == 2
    with pytest.raises(SchemaError, match="no column 'kommune'"):
        table.where(kommune="3301")


def test_pandas_polars_and_duckdb_read_the_table() -> None:
    pandas = pytest.importorskip("pandas")
    polars = pytest.importorskip("polars")
    duckdb = pytest.importorskip("duckdb")
    stats = example_table()
    table = stats
    frame = table.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert frame.attrs["samhandling"]["geography_year"] == 2024
    pl_frame = table.to_polars()
    assert pl_frame.height == table.num_rows
    assert polars.DataFrame(table).height == table.num_rows  # Arrow PyCapsule stream interface
    rows = duckdb.sql("select sum(value) from stats where variable = 'fte'").fetchall()
    assert rows[0][0] == pytest.approx(12.5 + 0.0 + 1.25 + 5000.0)


def test_repr_says_what_is_inside() -> None:
    text = repr(example_table())
    assert "7 rows" in text
    assert "geography 2024" in text
    assert "<table>" in example_table()._repr_html_()


def test_large_and_view_strings_from_dataframes_become_plain_strings() -> None:
    original = example_table()
    arrow = original.arrow
    wide = arrow.set_column(
        arrow.schema.get_field_index("region"), "region", arrow.column("region").cast(pa.large_string())
    )
    again = StatTable.from_arrow(wide)
    assert again.arrow.schema.field("region").type == pa.string()
    assert again.arrow.equals(original.arrow)


def test_provenance_with_an_empty_location_survives_the_metadata() -> None:
    table = StatTable.from_arrow(example_table().arrow, provenance=[Provenance(source="manual", location="")])
    again = StatTable.from_arrow(table.arrow)
    assert again.provenance == table.provenance


def test_metadata_from_a_newer_version_still_loads() -> None:
    assert Variable.from_dict({"id": "fte", "unit": "årsverk", "precision": 1}) == Variable(
        id="fte", unit="årsverk"
    )
    provenance = Provenance.from_dict({"source": "s", "location": "f.csv", "licence": "NLOD"})
    assert provenance.location == "f.csv"
    with pytest.raises(TypeError):
        Provenance.from_dict({"source": "s"})


def test_an_all_empty_status_column_of_any_encoding_is_accepted() -> None:
    # DuckDB hands back a status column without any symbol as dictionary<values=null>.
    table = StatTable.from_pydict(_rows(value=[12.5, 3.0], status=[None, None]))
    empty = pa.DictionaryArray.from_arrays(pa.array([None, None], pa.int8()), pa.array([], pa.null()))
    arrow = table.arrow.set_column(table.columns.index("status"), "status", empty)

    again = StatTable.from_arrow(arrow, meta=table.meta)

    assert again.equals(table)
    assert again.status_counts() == {None: 2}
