"""The plugin as installed: entry point, registrations through the public hooks, catalogue extension."""

from __future__ import annotations

from pathlib import Path

import pytest
import samhandling_nimes as nimes

from samhandling import hookimpl
from samhandling.catalogue import care_units, variables
from samhandling.errors import ParseError, PluginError
from samhandling.model import CareUnit, UnitType
from samhandling.plugins import PluginManager, get_plugin_manager, list_plugins
from samhandling.registry import Registrar
from samhandling.testing import registered


def test_entry_point_loads(plugin_manager: PluginManager) -> None:
    info = {p.name: p for p in list_plugins(plugin_manager)}
    assert "nimes" in info
    assert info["nimes"].distribution == "samhandling-nimes"
    assert {
        "samhandling_register_sources",
        "samhandling_register_care_units",
        "samhandling_register_variables",
        "samhandling_register_checks",
    } <= set(info["nimes"].hooks)
    assert {"nimes-monthly", "nimes-stays"} <= set(plugin_manager.registry.sources.names())
    assert "nimes" in plugin_manager.registry.checks


def test_variables_follow_the_shared_contract(plugin_manager: PluginManager) -> None:
    catalogue = variables(plugin_manager)
    expected = {
        "admissions": ("opphold", True),
        "bed_days": ("liggedøgn", True),
        "patients": ("pasient", False),
        "acute_admissions": ("opphold", True),
        "involuntary_stays": ("opphold", True),
        "readmissions_30d": ("opphold", True),
    }
    for name, (unit, additive) in expected.items():
        assert (catalogue[name].unit, catalogue[name].additive) == (unit, additive)


def test_builtin_catalogue_has_aliases(plugin_manager: PluginManager) -> None:
    units = care_units(plugin_manager)
    assert units["RDPS"].name == "Ringerike DPS"
    assert units["dps-ringerike"].code == "RDPS"
    assert units["RDPS"].health_trust == "vestre-viken"
    lookup = nimes.unit_lookup(plugin_manager)
    assert lookup.unit_type("ringerike dps") == "DPS"
    assert lookup.unit_type("Nowhere") == "unknown"


class _TrustPlugin:
    """A health trust's own catalogue, as a third party would add it."""

    @hookimpl
    def samhandling_register_care_units(self, register: Registrar) -> None:
        register(
            CareUnit(
                code="ARA",
                name="Avdeling for rus og avhengighet",
                type=UnitType.TSB,
                health_trust="vestre-viken",
            )
        )
        register(
            CareUnit(code="BUPA", name="BUP akutt", type="bup", health_trust="vestre-viken"),
            aliases=("BUP-A",),
        )


def test_third_party_units_are_used_by_the_readers(data_dir: Path) -> None:
    pm = get_plugin_manager(autoload=True)
    with registered(_TrustPlugin(), pm, name="trust-units"):
        table = nimes.read_monthly(data_dir / "ringerike-2011.csv", plugin_manager=pm)
        types = dict(zip(table.arrow.column("unit").to_pylist(), table.arrow.column("unit_type").to_pylist()))
        assert types["ARA"] == "TSB"
        assert types["BUPA"] == "BUP"
        assert [f.values["unit"] for f in nimes.findings(table) if f.rule == "nimes_unknown_unit"] == [
            "AKUTT"
        ]
        assert nimes.unit_lookup(pm).resolve("BUP-A") == care_units(pm)["BUPA"]


def test_a_unit_code_taken_twice_names_both_plugins() -> None:
    class Clash:
        @hookimpl
        def samhandling_register_care_units(self, register: Registrar) -> None:
            register(CareUnit(code="RDPS", name="Another RDPS", type="other"))

    pm = get_plugin_manager(autoload=True, extra=[Clash()])
    with pytest.raises(PluginError, match=r"RDPS.*nimes"):
        care_units(pm)


def test_catalogue_file(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        "\ufeff# Vestre Viken\ncode,name,type,health_trust\n"
        "ARA,Avdeling for rus og avhengighet,tsb,vestre-viken\n",
        encoding="utf-8",
    )
    (unit,) = nimes.load_care_units(path)
    assert unit.type is UnitType.TSB
    path.write_text("code,name,type\nARA,Rus,pub\n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"units\.csv, line 2"):
        nimes.load_care_units(path)
