"""Care units that admissions are counted by."""

from __future__ import annotations

import pytest

from samhandling.errors import ValidationError
from samhandling.model import CareUnit, UnitType


def test_care_unit() -> None:
    rdps = CareUnit(
        code="RDPS", name="Ringerike DPS", type=UnitType.DPS_INPATIENT, health_trust="vestre-viken"
    )
    ara = CareUnit(code="ARA", name="Avdeling for rus og avhengighet", type="tsb")
    assert rdps.type is UnitType.DPS_INPATIENT
    assert ara.type is UnitType.TSB
    assert ara.health_trust is None
    assert CareUnit(code="RUS-SAB", name="Rusakutt", type="acute_ward").code == "RUS-SAB"


def test_unit_types() -> None:
    assert {t.value for t in UnitType} == {
        "dps_inpatient",
        "dps_outpatient",
        "tsb",
        "bup",
        "acute_ward",
        "somatic",
        "other",
    }


def test_unknown_unit_type_is_rejected() -> None:
    with pytest.raises(
        ValidationError, match=r"CareUnit\.type: 'sykehjem' is not a UnitType \(expected one of"
    ):
        CareUnit(code="X", name="X", type="sykehjem")
    with pytest.raises(ValidationError, match=r"CareUnit\.code: 'R DPS' is not a code"):
        CareUnit(code="R DPS", name="Ringerike DPS", type=UnitType.DPS_INPATIENT)
