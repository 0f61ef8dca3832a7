"""Every hook in samhandling.hookspecs, exercised the way a plugin author uses it.

tests/test_docs.py checks that each hook name appears in this file, so a new hook needs a test here.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import click
import pyarrow as pa
import pytest
from click.testing import CliRunner

from samhandling import StatTable, Variable, hookimpl
from samhandling.catalogue import care_units, service_kinds, target_groups, variables
from samhandling.checks import CheckContext, Finding, run_checks
from samhandling.exporters import export
from samhandling.model import CareUnit, ServiceKind, TargetGroup, UnitType
from samhandling.plugins import PluginManager, get_plugin_manager
from samhandling.registry import Registrar
from samhandling.sources import find_source, read
from samhandling.tables import Provenance
from samhandling.testing import check_exporter, check_source, example_table, registered
from samhandling.units import Quantity


class SemicolonSource:
    """Reads 'region;year;value' files with the suffix .scsv (a made-up format for the test)."""

    name = "scsv"
    description = "region;year;value files"

    def can_read(self, location: str | Path) -> bool:
        return str(location).endswith(".scsv")

    def read(self, location: str | Path, **options: Any) -> StatTable:
        lines = Path(location).read_text(encoding="utf-8").splitlines()[1:]
        cells = [line.split(";") for line in lines]
        return StatTable.from_arrow(
            pa.table(
                {
                    "region": [c[0] for c in cells],
                    "level": ["municipality"] * len(cells),
                    "year": [int(c[1]) for c in cells],
                    "variable": ["beds"] * len(cells),
                    "value": [float(c[2]) for c in cells],
                }
            ),
            source=self.name,
            variables=[Variable(id="beds", unit="plass")],
            provenance=[Provenance.for_file(self.name, location)],
        )


@pytest.fixture
def pm() -> PluginManager:
    return get_plugin_manager(autoload=False)


@pytest.fixture
def scsv_file(tmp_path: Path) -> Path:
    path = tmp_path / "beds.scsv"
    path.write_text("region;year;value\n3301;2024;4\n3305;2024;2\n", encoding="utf-8")
    return path


def _plugin(**hooks: Any) -> types.SimpleNamespace:
    return types.SimpleNamespace(**{name: hookimpl(function) for name, function in hooks.items()})


def test_samhandling_register_sources(pm: PluginManager, scsv_file: Path) -> None:
    def samhandling_register_sources(register: Registrar) -> None:
        register(SemicolonSource(), aliases=("semicolon",))

    with registered(
        _plugin(samhandling_register_sources=samhandling_register_sources), pm, name="scsv-plugin"
    ):
        assert pm.registry.sources.entry("semicolon").plugin == "scsv-plugin"
        table = read(scsv_file, plugin_manager=pm)
        assert table.where(region="3301").to_pylist()[0]["value"] == 4.0
        assert check_source(SemicolonSource(), scsv_file).num_rows == 2


def test_samhandling_select_source(pm: PluginManager, scsv_file: Path) -> None:
    chosen: list[str] = []

    def samhandling_register_sources(register: Registrar) -> None:
        register(SemicolonSource())

    def samhandling_select_source(location: str | Path, candidates: Sequence[Any]) -> Any:
        chosen.append(str(location))
        return next(c for c in candidates if c.name == "scsv")

    plugin = _plugin(
        samhandling_register_sources=samhandling_register_sources,
        samhandling_select_source=samhandling_select_source,
    )
    with registered(plugin, pm):
        # the plugin takes over the choice even for a suffix its source would not claim
        odd = scsv_file.with_suffix(".txt")
        odd.write_text(scsv_file.read_text(encoding="utf-8"), encoding="utf-8")
        assert find_source(odd, plugin_manager=pm).name == "scsv"
        assert chosen == [str(odd)]


def test_samhandling_register_exporters(pm: PluginManager, tmp_path: Path) -> None:
    class TsvExporter:
        name = "tsv"
        description = "tab-separated values"
        suffixes = (".tsv",)

        def write(self, table: StatTable, destination: str | Path, **options: Any) -> Path:
            rows = table.to_pylist()
            lines = ["\t".join(map(str, (r["region"], r["variable"], r["value"], r["status"]))) for r in rows]
            Path(destination).write_text("\n".join(lines), encoding="utf-8")
            return Path(destination)

    def samhandling_register_exporters(register: Registrar) -> None:
        register(TsvExporter())

    with registered(_plugin(samhandling_register_exporters=samhandling_register_exporters), pm):
        written = export(example_table(), tmp_path / "out.tsv", plugin_manager=pm)
        assert "3301\tfte\t12.5\tNone" in written.read_text(encoding="utf-8")
        assert check_exporter(TsvExporter(), example_table(), tmp_path).exists()


def test_samhandling_register_checks(pm: PluginManager) -> None:
    class BigValues:
        name = "big-values"
        description = "values above a limit"

        def run(self, table: StatTable, context: CheckContext) -> Iterable[Finding]:
            limit = context.option(self.name, "limit", 1000)
            for row in table.to_pylist():
                if row["value"] is not None and row["value"] > limit:
                    yield Finding(
                        rule=self.name,
                        message="too big",
                        region=row["region"],
                        variable=row["variable"],
                        year=row["year"],
                        values={"value": row["value"], "limit": limit},
                    )

    def samhandling_register_checks(register: Registrar) -> None:
        register(BigValues())

    with registered(_plugin(samhandling_register_checks=samhandling_register_checks), pm):
        findings = run_checks(example_table(), checks=["big-values"], plugin_manager=pm)
        assert [(f.region, f.values["value"]) for f in findings] == [("0", 5000.0)]
        strict = run_checks(
            example_table(),
            checks=["big-values"],
            plugin_manager=pm,
            context=CheckContext(options={"big-values": {"limit": 10}}),
        )
        assert len(strict) == 2
        # A table may declare options for any check; the caller's options (by either spelling) win.
        declaring = StatTable.from_arrow(
            example_table().arrow,
            meta=attrs.evolve(example_table().meta, extra={"check_options": {"big_values": {"limit": 10}}}),
        )
        assert len(run_checks(declaring, checks=["big-values"], plugin_manager=pm)) == 2
        overridden = run_checks(
            declaring,
            checks=["big-values"],
            plugin_manager=pm,
            context=CheckContext(options={"big_values": {"limit": 1000}}),
        )
        assert len(overridden) == 1


def test_samhandling_register_target_groups(pm: PluginManager) -> None:
    group = TargetGroup(
        code="innsatte", name="Innsatte og løslatte", name_en="Prisoners and released prisoners"
    )

    def samhandling_register_target_groups(register: Registrar) -> None:
        register(group)

    with registered(_plugin(samhandling_register_target_groups=samhandling_register_target_groups), pm):
        assert target_groups(pm)["innsatte"] is group
        assert "rop" in target_groups(pm)


def test_samhandling_register_service_kinds(pm: PluginManager) -> None:
    kind = ServiceKind(
        code="bolig_forsterket", name="Forsterket bolig", name_en="Reinforced housing", category="housing"
    )

    def samhandling_register_service_kinds(register: Registrar) -> None:
        register(kind)

    with registered(_plugin(samhandling_register_service_kinds=samhandling_register_service_kinds), pm):
        assert service_kinds(pm)["bolig_forsterket"] is kind
        assert "ohd" in service_kinds(pm)


def test_samhandling_register_care_units(pm: PluginManager) -> None:
    unit = CareUnit(
        code="RDPS", name="Ringerike DPS", type=UnitType.DPS_INPATIENT, health_trust="vestre-viken"
    )

    def samhandling_register_care_units(register: Registrar) -> None:
        register(unit)

    with registered(_plugin(samhandling_register_care_units=samhandling_register_care_units), pm):
        assert care_units(pm)["RDPS"].type is UnitType.DPS_INPATIENT


def test_samhandling_register_variables(pm: PluginManager) -> None:
    def samhandling_register_variables(register: Registrar) -> None:
        register(Variable(id="safe_haven_beds", unit="plass", label="Trygghetsplasser"))

    with registered(_plugin(samhandling_register_variables=samhandling_register_variables), pm):
        assert variables(pm)["safe_haven_beds"].unit == "plass"
        assert "population" in variables(pm)


def test_samhandling_register_units(pm: PluginManager) -> None:
    def samhandling_register_units(register: Registrar) -> None:
        register("vedtak = [decision] = vedtak_om_tjenester")

    with registered(_plugin(samhandling_register_units=samhandling_register_units), pm):
        _ = pm.registry
        assert Quantity(3, "vedtak").to("vedtak_om_tjenester").magnitude == 3


def test_samhandling_register_commands(pm: PluginManager, monkeypatch: pytest.MonkeyPatch) -> None:
    @click.command(name="hello-kommune")
    def hello() -> None:
        """Say hello."""
        click.echo("hei fra plugin")

    def samhandling_register_commands(register: Registrar) -> None:
        register(hello)

    import samhandling.plugins as plugins_module
    from samhandling.cli import main

    with registered(_plugin(samhandling_register_commands=samhandling_register_commands), pm):
        monkeypatch.setattr(plugins_module, "_default_plugin_manager", lambda: pm)
        result = CliRunner().invoke(main, ["hello-kommune"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "hei fra plugin"
        assert "hello-kommune" in CliRunner().invoke(main, ["--help"]).output
