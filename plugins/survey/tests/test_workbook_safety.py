"""Survey workbooks as untrusted input: merged data cells, formulas without a value, zip bombs, DTDs.

Each test makes its workbook from the shipped example (or from scratch) in ``tmp_path``.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from samhandling_survey import read_survey
from samhandling_survey.example import ExampleFiles

import samhandling as sh
from samhandling.errors import ParseError, SamhandlingWarning
from samhandling.plugins import PluginManager
from samhandling.workbooks import WorkbookLimits, check_workbook


def _edited(examples: ExampleFiles, tmp_path: Path, edit: str) -> Path:
    """The example workbook of 2023 with one change (row 5 is Kongsvinger, 3401; C the first FTE column)."""
    workbook = openpyxl.load_workbook(examples.survey[2023])
    sheet = workbook["Kommuner"]
    if edit == "merge-across":
        sheet.merge_cells("C5:D5")  # 0.8 shown over two professions
    elif edit == "merge-down":
        sheet.merge_cells("C6:C7")  # Hamar's 5.2 shown for Lillehammer too
    elif edit == "formula":
        sheet["C5"] = "=0.5+0.3"  # openpyxl saves a formula without a value, as a program would
    elif edit == "formula-in-notes":
        sheet["AZ5"] = "=1+1"  # outside the columns the reader takes
    path = tmp_path / "is248-2023.xlsx"
    workbook.save(path)
    return path


@pytest.mark.parametrize(("edit", "cells"), [("merge-across", "C5:D5"), ("merge-down", "C6:C7")])
def test_merged_data_cells_are_an_error_naming_the_range(
    examples: ExampleFiles, tmp_path: Path, edit: str, cells: str
) -> None:
    path = _edited(examples, tmp_path, edit)
    with pytest.raises(ParseError, match=rf"line \d+, column .*: cells {cells} are merged"):
        read_survey(path)


def test_merged_group_headers_are_still_read(examples: ExampleFiles) -> None:
    table = read_survey(examples.survey[2023])  # the example has merged header cells (C3:N3 …)
    assert table.num_rows > 0


def test_a_formula_without_a_saved_value_is_an_error_naming_the_cell(
    examples: ExampleFiles, tmp_path: Path
) -> None:
    path = _edited(examples, tmp_path, "formula")
    with pytest.raises(ParseError, match=r"line 5, column .*cell C5 holds a formula without a saved value"):
        read_survey(path)


def test_a_formula_without_a_value_reads_as_not_available_when_asked(
    examples: ExampleFiles, tmp_path: Path
) -> None:
    path = _edited(examples, tmp_path, "formula")
    with pytest.warns(SamhandlingWarning, match="cell C5: a formula without a saved value"):
        table = read_survey(path, uncached_formulas="warn")
    cell = table.where(region="3401", variable="fte", profession="nurse_specialised", target_group="total")
    assert cell.arrow.column("status").to_pylist() == [".."]
    assert cell.arrow.column("value").to_pylist() == [None]
    assert "cell C5" in " ".join(table.meta.extra["uncached_formulas"])


def test_a_formula_outside_the_columns_read_is_no_error(examples: ExampleFiles, tmp_path: Path) -> None:
    assert read_survey(_edited(examples, tmp_path, "formula-in-notes")).num_rows > 0


def _with_sheet_xml(examples: ExampleFiles, tmp_path: Path, change: str) -> Path:
    """The example workbook with its sheet XML given a DTD (the rest of the package as it was)."""
    source = examples.survey[2023]
    target = tmp_path / "is248-2023.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                if data.startswith(b"<?xml"):
                    declaration, _, rest = data.partition(b"?>")
                    data = declaration + b"?>" + change.encode() + rest
                else:
                    data = change.encode() + data
            copy.writestr(info.filename, data)
    return target


BILLION_LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
EXTERNAL_ENTITY = '<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(
    "attack", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "external-entity"]
)
def test_an_xml_entity_attack_is_refused_with_a_clear_error(
    examples: ExampleFiles, tmp_path: Path, survey_pm: PluginManager, attack: str
) -> None:
    path = _with_sheet_xml(examples, tmp_path, attack)
    message = r"xl/worksheets/sheet1\.xml declares a DTD \(<!DOCTYPE worksheet>\)"
    with pytest.raises(ParseError, match=message):
        read_survey(path)
    with pytest.raises(ParseError, match=message):
        sh.read(path, source="survey", plugin_manager=survey_pm)
    with pytest.raises(ParseError, match=message):
        check_workbook(path)


def test_a_zip_bomb_is_refused_before_parsing(examples: ExampleFiles, tmp_path: Path) -> None:
    target = tmp_path / "bomb.xlsx"
    shutil.copy(examples.survey[2023], target)
    with (
        zipfile.ZipFile(target, "a", zipfile.ZIP_DEFLATED) as package,
        package.open("xl/worksheets/sheet9.xml", "w") as stream,  # 300 MiB that pack to 450 KiB
    ):
        block = b"<row/>" * (1 << 16)
        for _ in range(800):
            stream.write(block)
    assert target.stat().st_size < 2 << 20
    with pytest.raises(ParseError, match=r"sheet9\.xml unpacks to 300 MiB, more than the limit of 128 MiB"):
        read_survey(target)
    with pytest.raises(ParseError, match=r"sheet9\.xml unpacks [\d,]+ times larger than it is packed"):
        check_workbook(target, WorkbookLimits(max_part_bytes=1 << 30))


def test_a_part_that_lies_about_its_size_cannot_expand(tmp_path: Path) -> None:
    target = tmp_path / "liar.xlsx"
    content = b"<?xml version='1.0'?><worksheet>" + b" " * 4_000_000 + b"</worksheet>"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", b"<Types/>")
        package.writestr("xl/worksheets/sheet1.xml", content)
    data = bytearray(target.read_bytes())
    # declare 1,000 bytes instead of 4 MB, in the local header and in the central directory
    size = len(content).to_bytes(4, "little")
    places = [i for i in range(len(data) - 4) if data[i : i + 4] == size]
    assert len(places) == 2
    for at in places:
        data[at : at + 4] = (1000).to_bytes(4, "little")
    target.write_bytes(bytes(data))
    # the declared sizes are small, and unpacking stops there: the part fails its CRC and is refused
    with zipfile.ZipFile(target) as package, pytest.raises(zipfile.BadZipFile, match="CRC"):
        package.read("xl/worksheets/sheet1.xml")
    with pytest.raises(ParseError, match=r"liar\.xlsx: the workbook's part .* cannot be unpacked: Bad CRC"):
        read_survey(target, year=2023)
