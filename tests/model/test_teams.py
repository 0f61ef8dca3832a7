"""Teams and positions: the cooperation team of a municipality–DPS project plan."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from samhandling.errors import ValidationError
from samhandling.model import Position, ServiceLevel, Team
from samhandling.units import Quantity

MUNICIPAL, SPECIALIST, NAV = ServiceLevel.MUNICIPAL, ServiceLevel.SPECIALIST, ServiceLevel.NAV


def cooperation_team() -> Team:
    """A samhandlingsteam like the one in the Drammen DPS project plan: members keep their employers."""
    return Team(
        name="Samhandlingsteam Drammen og Lier",
        kind="samhandlingsteam",
        positions=(
            Position(
                profession="teamleder", employer="Drammen kommune", employer_level=MUNICIPAL, percent=100
            ),
            Position(profession="sosionom", employer="Drammen kommune", employer_level=MUNICIPAL, percent=50),
            Position(
                profession="psykiatrisk sykepleier",
                employer="Vestre Viken HF / Drammen DPS",
                employer_level=SPECIALIST,
                percent=Quantity(100, "stillingsprosent"),
            ),
            Position(profession="IPS-jobbspesialist", employer="NAV", employer_level=NAV, percent=20),
        ),
        target_groups=("stor_funksjonssvikt", "rop"),
        municipalities=("3301", "3312"),
        start=dt.date(2015, 1, 1),
    )


def test_cooperation_team_fte_totals() -> None:
    team = cooperation_team()
    assert team.fte_total() == Quantity(2.7, "årsverk")
    assert team.fte_by_employer() == {
        "Drammen kommune": Quantity(1.5, "årsverk"),
        "Vestre Viken HF / Drammen DPS": Quantity(1, "årsverk"),
        "NAV": Quantity(0.2, "årsverk"),
    }
    assert team.fte_by_level() == {
        MUNICIPAL: Quantity(1.5, "årsverk"),
        SPECIALIST: Quantity(1, "årsverk"),
        NAV: Quantity(0.2, "årsverk"),
    }
    assert team.fte_by_profession()["sosionom"] == Quantity(0.5, "årsverk")
    assert str(team.fte_total().units) == "arsverk"


def test_empty_team_has_zero_fte() -> None:
    assert Team(name="Nytt FACT-team", kind="fact").fte_total() == Quantity(0, "årsverk")


@pytest.mark.parametrize(
    ("percent", "stillingsprosent"),
    [
        (50, 50),
        (12.5, 12.5),
        (Quantity(0.2, "FTE"), 20),
        (Quantity(0.5, "årsverk"), 50),
        (Quantity(100, "percent"), 100),
    ],
)
def test_percent_as_number_or_quantity(percent: object, stillingsprosent: float) -> None:
    position = Position(profession="psykolog", employer="DPS", employer_level="specialist", percent=percent)  # type: ignore[arg-type]
    assert position.percent == Quantity(stillingsprosent, "stillingsprosent")
    assert position.fte == Quantity(stillingsprosent / 100, "årsverk")


@pytest.mark.parametrize("percent", [0, -10, 100.5, 120])
def test_percent_outside_0_to_100_is_rejected(percent: float) -> None:
    with pytest.raises(
        ValidationError, match=r"^Position\.percent: '.* stillingsprosent' is outside 0–100 %"
    ):
        Position(profession="psykolog", employer="DPS", employer_level=SPECIALIST, percent=percent)


def test_percent_in_wrong_unit_is_rejected() -> None:
    with pytest.raises(ValidationError, match=r"Position\.percent: '2 plass' has the wrong unit 'plass'"):
        Position(
            profession="psykolog", employer="DPS", employer_level=SPECIALIST, percent=Quantity(2, "plass")
        )


@given(st.lists(st.integers(min_value=1, max_value=100), max_size=12))
def test_totals_agree_whatever_the_grouping(percents: list[int]) -> None:
    levels = list(ServiceLevel)
    team = Team(
        name="Team",
        kind="fact",
        positions=[
            Position(
                profession=f"p{i % 3}",
                employer=f"e{i % 4}",
                employer_level=levels[i % len(levels)],
                percent=p,
            )
            for i, p in enumerate(percents)
        ],
    )
    total = team.fte_total().to("stillingsprosent").magnitude
    assert total == pytest.approx(sum(percents))
    for grouping in (team.fte_by_employer(), team.fte_by_level(), team.fte_by_profession()):
        assert sum(q.to("stillingsprosent").magnitude for q in grouping.values()) == pytest.approx(total)


def test_team_validation() -> None:
    with pytest.raises(ValidationError, match=r"Team\.positions\[0\]: 'sykepleier' is not a Position"):
        Team(name="x", kind="fact", positions=["sykepleier"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"Team\.kind: 'FACT-team' is not a lower-case ASCII slug"):
        Team(name="x", kind="FACT-team")
    with pytest.raises(ValidationError, match=r"Team\.end: '2014-12-31' is before start '2015-01-01'"):
        attrs.evolve(cooperation_team(), end=dt.date(2014, 12, 31))


def test_teams_are_frozen() -> None:
    team = cooperation_team()
    assert isinstance(team.positions, tuple)
    assert team.municipalities == ("3301", "3312")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        team.positions = ()  # type: ignore[misc]
