"""Agreements and the eleven subjects of helse- og omsorgstjenesteloven § 6-2."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from samhandling.errors import ValidationError
from samhandling.model import Agreement, AgreementKind, Party, PartyKind, StatutorySubject, coverage

RINGERIKE = Party.municipality("3305", "Ringerike kommune")
HOLE = Party.municipality("3310", "Hole kommune")
VESTRE_VIKEN = Party.health_trust("vestre-viken", "Vestre Viken HF")


def main_agreement(**changes: object) -> Agreement:
    fields: dict[str, object] = {
        "id": "ringerike-vv-2012",
        "kind": AgreementKind.COOPERATION_AGREEMENT,
        "title": "Samarbeidsavtale mellom Ringerike kommune og Vestre Viken HF",
        "parties": (RINGERIKE, VESTRE_VIKEN),
        "valid_from": dt.date(2012, 1, 31),
        "subjects": {1, 2, 3, 4, 5, 6, 7, 10, 11},
    }
    fields.update(changes)
    return Agreement(**fields)  # type: ignore[arg-type]


def test_statutory_subjects_are_the_eleven_of_the_law() -> None:
    assert [subject.number for subject in StatutorySubject] == list(range(1, 12))
    assert StatutorySubject(4) is StatutorySubject.EMERGENCY_BEDS
    assert "øyeblikkelig hjelp" in StatutorySubject.EMERGENCY_BEDS.label
    assert StatutorySubject.MIDWIFERY.label == "Samarbeid om jordmortjenester"
    assert (
        StatutorySubject.PREPAREDNESS.label_en
        == "Agreed preparedness plans and plans for the acute medical chain"
    )
    assert all(subject.label and subject.label_en for subject in StatutorySubject)


def test_missing_subjects_of_a_realistic_agreement() -> None:
    agreement = main_agreement()
    assert agreement.missing_subjects() == (StatutorySubject.MIDWIFERY, StatutorySubject.ICT)
    assert agreement.covers(StatutorySubject.EMERGENCY_BEDS)
    assert agreement.covers(4)
    assert not agreement.covers(8)
    assert agreement.municipalities == ("3305",)


def test_subjects_accept_numbers_text_and_members() -> None:
    agreement = main_agreement(subjects=[StatutorySubject.TASK_DIVISION, 2, "3"])
    assert agreement.subjects == frozenset(StatutorySubject(n) for n in (1, 2, 3))


@given(st.sets(st.integers(min_value=1, max_value=11)))
def test_missing_subjects_are_the_complement_in_law_order(numbers: set[int]) -> None:
    missing = main_agreement(subjects=numbers).missing_subjects()
    assert [subject.number for subject in missing] == sorted(set(range(1, 12)) - numbers)


@pytest.mark.parametrize("number", [0, 12, -1])
def test_unknown_subject_number_is_rejected(number: int) -> None:
    with pytest.raises(ValidationError) as excinfo:
        main_agreement(subjects={1, number})
    assert str(excinfo.value) == (
        f"Agreement.subjects: {number} is not a statutory subject of helse- og omsorgstjenesteloven § 6-2 "
        "(expected a number 1–11 or a StatutorySubject)"
    )
    with pytest.raises(ValidationError, match=r"^Agreement\.covers: "):
        main_agreement().covers(number)


def test_agreement_without_parties_is_rejected() -> None:
    with pytest.raises(ValidationError) as excinfo:
        main_agreement(parties=())
    assert str(excinfo.value) == "Agreement.parties: () is empty (expected at least one party)"


def test_cooperation_agreement_needs_municipality_and_health_trust() -> None:
    with pytest.raises(
        ValidationError, match=r"Agreement\.parties: .* \(samarbeidsavtale needs at least one"
    ):
        main_agreement(parties=(RINGERIKE, HOLE))


def test_inter_municipal_agreement_needs_two_municipalities() -> None:
    with pytest.raises(
        ValidationError, match=r"has 1 municipality party \(an inter-municipal agreement needs"
    ):
        Agreement(
            id="ohd-ringeriksregionen",
            kind="inter_municipal",
            title="Interkommunal ØHD",
            parties=[RINGERIKE],
            valid_from=dt.date(2016, 1, 1),
        )
    ohd = Agreement(
        id="ohd-ringeriksregionen",
        kind=AgreementKind.INTER_MUNICIPAL,
        title="Avtale om interkommunal ØHD",
        parties=(RINGERIKE, HOLE, Party.municipality("3236", "Jevnaker kommune")),
        valid_from=dt.date(2016, 1, 1),
        services=("ohd",),
    )
    assert ohd.missing_subjects() == ()  # § 6-2 does not apply between municipalities
    assert ohd.municipalities == ("3305", "3310", "3236")


def test_voluntary_agreement_needs_a_voluntary_party() -> None:
    fontenehuset = Party(name="Fontenehuset Ringerike", kind="voluntary")
    agreement = Agreement(
        id="fontenehuset-2020",
        kind="voluntary_organisation",
        title="Avtale om lavterskeltilbud",
        parties=(RINGERIKE, fontenehuset),
        valid_from="2020-01-01",
        services=["lavterskeltilbud"],
    )
    assert agreement.valid_from == dt.date(2020, 1, 1)
    with pytest.raises(ValidationError, match=r"has no voluntary party"):
        attrs.evolve(agreement, parties=(RINGERIKE,))


def test_valid_to_before_valid_from_is_rejected() -> None:
    with pytest.raises(
        ValidationError, match=r"Agreement\.valid_to: '2011-12-31' is before valid_from '2012-01-31'"
    ):
        main_agreement(valid_to=dt.date(2011, 12, 31))


def test_is_valid_on() -> None:
    agreement = main_agreement(valid_to=dt.date(2019, 12, 31))
    assert agreement.is_valid_on(dt.date(2012, 1, 31))
    assert agreement.is_valid_on(dt.date(2019, 12, 31))
    assert not agreement.is_valid_on(dt.date(2020, 1, 1))
    assert not agreement.is_valid_on(dt.date(2012, 1, 30))


def test_parent_must_not_be_itself() -> None:
    with pytest.raises(ValidationError, match=r"Agreement\.parent: 'a' is the agreement's own id"):
        main_agreement(id="a", parent="a")


def test_party_codes() -> None:
    assert VESTRE_VIKEN.kind is PartyKind.HEALTH_TRUST
    with pytest.raises(ValidationError, match=r"Party\.code: '330' is not a 4-digit municipality code"):
        Party.municipality("330", "Ringerike kommune")
    with pytest.raises(ValidationError, match=r"Party\.kind: 'county' is not a PartyKind"):
        Party(name="Buskerud", kind="county")


def sub_agreement(number: int, subjects: set[int], parent: str | None = "ringerike-vv-2012") -> Agreement:
    return Agreement(
        id=f"ringerike-vv-delavtale-{number}",
        kind=AgreementKind.SUB_AGREEMENT,
        title=f"Delavtale {number}",
        parties=(RINGERIKE, VESTRE_VIKEN),
        valid_from=dt.date(2012, 1, 31),
        subjects=subjects,
        parent=parent,
    )


def test_coverage_combines_main_agreement_and_sub_agreements() -> None:
    main = main_agreement(subjects={1})
    subs = [sub_agreement(2, {2, 3, 5}), sub_agreement(4, {4}), sub_agreement(6, {6, 7, 9})]
    assert sub_agreement(4, {4}).missing_subjects() == ()  # a sub-agreement covers a few subjects on purpose
    result = coverage([main, *subs])
    assert list(result) == list(StatutorySubject)
    assert [subject.number for subject, covered in result.items() if not covered] == [8, 10, 11]
    assert all(coverage([main, *subs, sub_agreement(10, {8, 10, 11})]).values())


def test_coverage_on_a_date_and_ignores_other_kinds() -> None:
    expired = attrs.evolve(sub_agreement(4, {4}), valid_to=dt.date(2015, 12, 31))
    inter = Agreement(
        id="ikt",
        kind="inter_municipal",
        title="IKT-samarbeid",
        parties=(RINGERIKE, HOLE),
        valid_from=dt.date(2010, 1, 1),
        subjects={9},
    )
    result = coverage([main_agreement(subjects={1}), expired, inter], on=dt.date(2020, 1, 1))
    assert not result[StatutorySubject.EMERGENCY_BEDS]
    assert not result[StatutorySubject.ICT]
    assert result[StatutorySubject.TASK_DIVISION]


def test_coverage_rejects_a_sub_agreement_of_another_main_agreement() -> None:
    stray = sub_agreement(2, {2}, parent="hole-vv-2012")
    with pytest.raises(
        ValidationError, match=r"sub-agreement 'ringerike-vv-delavtale-2' belongs to 'hole-vv-2012'"
    ):
        coverage([main_agreement(), stray])
    assert coverage([stray])[StatutorySubject(2)]  # on their own, sub-agreements are simply combined


def test_agreements_are_frozen_and_hashable() -> None:
    agreement = main_agreement()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        agreement.title = "x"  # type: ignore[misc]
    assert isinstance(agreement.subjects, frozenset)
    assert isinstance(agreement.parties, tuple)
    assert hash(agreement) == hash(main_agreement())
