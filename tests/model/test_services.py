"""Service kinds, the built-in catalogue and concrete services."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from samhandling.errors import ValidationError
from samhandling.model import BUILTIN_SERVICE_KINDS, Service, ServiceKind, ServiceLevel
from samhandling.units import Quantity

KINDS = {kind.code: kind for kind in BUILTIN_SERVICE_KINDS}
RINGERIKSREGIONEN = ("3236", "3305", "3310")  # Jevnaker, Ringerike, Hole (2024 codes)


def test_catalogue_codes_are_unique() -> None:
    codes = [kind.code for kind in BUILTIN_SERVICE_KINDS]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(
    "code",
    [
        "ohd",
        "trygghetsplass",
        "venteplass",
        "lavterskeltilbud",
        "dagtilbud",
        "arbeidsrettet_aktivitet",
        "ips",
        "frisklivssentral",
        "bolig_med_bemanning",
        "act",
        "fact",
        "samhandlingsteam",
        "ambulant_akutteam",
        "slt",
        "dps_poliklinikk",
        "dps_dogn",
        "tsb",
        "bup",
    ],
)
def test_catalogue_has_the_field_s_services(code: str) -> None:
    assert code in KINDS
    assert KINDS[code].name
    assert KINDS[code].name_en


def test_emergency_beds_are_statutory_from_2017_for_mental_health_and_2016_for_somatic() -> None:
    assert KINDS["ohd"].statutory_from == 2017
    assert KINDS["ohd"].is_statutory_in(2017)
    assert not KINDS["ohd"].is_statutory_in(2016)
    assert "§ 3-5" in KINDS["ohd"].description
    assert KINDS["ohd_somatikk"].statutory_from == 2016
    assert not KINDS["trygghetsplass"].is_statutory_in(2024)


def test_service_kind_code_must_be_a_slug() -> None:
    with pytest.raises(ValidationError, match=r"ServiceKind\.code: 'ØHD' is not a lower-case ASCII slug"):
        ServiceKind(code="ØHD", name="ØHD", name_en="Emergency beds", category="emergency_beds")


def test_inter_municipal_emergency_unit() -> None:
    unit = Service(
        name="ØHD Ringeriksregionen",
        kind="ohd",
        provider="Ringerike kommune (vertskommune)",
        level=ServiceLevel.INTER_MUNICIPAL,
        capacity=Quantity(4, "plass"),
        target_groups=("rop", "voksne"),
        municipalities=("3310", "3305", "3236"),
        start=dt.date(2017, 1, 1),
    )
    assert unit.is_inter_municipal
    assert unit.municipalities == RINGERIKSREGIONEN
    assert unit.serves("3310")
    assert unit.is_active_on(dt.date(2024, 6, 1))
    assert not unit.is_active_on(dt.date(2016, 12, 31))


def test_host_municipality_service_counts_as_inter_municipal() -> None:
    shared = Service(
        name="Trygghetsplasser",
        kind="trygghetsplass",
        provider="Modum kommune",
        level="municipal",
        municipalities=("3316", "3318"),  # Modum, Krødsherad
    )
    own = Service(name="Dagsenter", kind="dagtilbud", provider="Hole kommune", level="municipal")
    assert shared.is_inter_municipal
    assert not own.is_inter_municipal


def test_capacity_from_text_and_in_other_units() -> None:
    assert Service(
        name="x", kind="ohd", provider="p", level="municipal", capacity="6 plasser"
    ).capacity == Quantity(6, "plass")
    team = Service(name="y", kind="fact", provider="p", level="specialist", capacity=Quantity(2.5, "årsverk"))
    assert team.capacity == Quantity(250, "stillingsprosent")


def test_negative_capacity_is_rejected() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Service(name="ØHD", kind="ohd", provider="p", level="municipal", capacity=Quantity(-1, "plass"))
    assert str(excinfo.value) == (
        "Service.capacity: '-1 plass' is negative or not finite (expected a finite amount >= 0)"
    )


@pytest.mark.parametrize(
    ("capacity", "message"),
    [
        (Quantity(3, "NOK"), r"Service\.capacity: '3 NOK' has the wrong unit 'NOK' \(expected places"),
        (3, r"Service\.capacity: 3 is not a quantity with a unit"),
        ("mange", r"Service\.capacity: 'mange' is not a quantity with a unit"),
        (Quantity(float("nan"), "plass"), r"is negative or not finite"),
    ],
)
def test_capacity_needs_a_compatible_unit(capacity: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Service(name="x", kind="ohd", provider="p", level="municipal", capacity=capacity)  # type: ignore[arg-type]


def test_end_before_start_is_rejected() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Service(
            name="x",
            kind="ohd",
            provider="p",
            level="municipal",
            start=dt.date(2020, 1, 1),
            end=dt.date(2019, 12, 31),
        )
    assert (
        str(excinfo.value)
        == "Service.end: '2019-12-31' is before start '2020-01-01' (expected end on or after start)"
    )


def test_inter_municipal_needs_two_municipalities() -> None:
    with pytest.raises(ValidationError, match=r"Service\.municipalities: \('3305',\) has fewer than two"):
        Service(name="x", kind="ohd", provider="p", level="inter_municipal", municipalities=["3305"])


def test_unknown_level_lists_the_levels() -> None:
    with pytest.raises(
        ValidationError, match=r"Service\.level: 'county' is not a ServiceLevel \(expected one of 'municipal'"
    ):
        Service(name="x", kind="ohd", provider="p", level="county")


def test_bad_municipality_code_names_position() -> None:
    with pytest.raises(ValidationError, match=r"Service\.municipalities\[0\]: '301' is not a 4-digit"):
        Service(name="x", kind="ohd", provider="p", level="municipal", municipalities=["301"])


def test_service_level_labels() -> None:
    assert ServiceLevel("inter_municipal").label == "interkommunal"
    assert {level.label for level in ServiceLevel} >= {"kommunal", "spesialisthelsetjenesten", "NAV"}


def test_services_are_frozen() -> None:
    service = Service(name="x", kind="ohd", provider="p", level="municipal", target_groups=["rop"])
    assert service.target_groups == ("rop",)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        service.name = "y"  # type: ignore[misc]
