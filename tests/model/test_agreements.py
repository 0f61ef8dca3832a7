"""Agreements and the subjects of helse- og omsorgstjenesteloven § 6-2 as the law stood on a given day."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from samhandling.errors import ValidationError
from samhandling.model import (
    Agreement,
    AgreementKind,
    Party,
    PartyKind,
    StatutorySubject,
    coverage,
    required_subjects,
    subjects_in_force,
)
from samhandling.model.agreements import judged_on

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


def test_statutory_subjects_are_the_thirteen_of_the_law() -> None:
    # HDIR-62 (Helsedirektoratet, "Veiledning til de 13 punktene", text from lovdata) and PROP102
    # (Prop. 102 L (2020–2021), "Til § 6-2 første ledd nytt nummer 12"): § 6-2 first paragraph has 13 items
    # since 1 August 2022 (domain-check.md, Check 4).
    assert [subject.number for subject in StatutorySubject] == list(range(1, 14))
    assert StatutorySubject(4) is StatutorySubject.EMERGENCY_BEDS
    assert "øyeblikkelig hjelp" in StatutorySubject.EMERGENCY_BEDS.label
    assert StatutorySubject.MIDWIFERY.label == "Samarbeid om jordmortjenester"
    assert (
        StatutorySubject.PREPAREDNESS.label_en
        == "Agreed preparedness plans and plans for the acute medical chain"
    )
    assert all(subject.label and subject.label_en for subject in StatutorySubject)
    assert StatutorySubject(12) is StatutorySubject.JOINT_PLANNING
    assert StatutorySubject.JOINT_PLANNING.label == (
        "Konkret beskrivelse av hvordan partene sammen skal utvikle og planlegge tjenestene"
    )
    assert StatutorySubject(13) is StatutorySubject.CHILDREN_COMPLEX_NEEDS
    assert "barn og unge med sammensatte vansker" in StatutorySubject.CHILDREN_COMPLEX_NEEDS.label


def test_subjects_in_force_follow_the_date_of_the_law() -> None:
    # HDIR-62: "to nye punkt ... punkt 12 og 13, med virkning fra 1. august 2022"; the consultation letter:
    # the agreements must cover them "fra og med 1. juli 2023" (domain-check.md, Check 4).
    eleven = [subject.number for subject in subjects_in_force(dt.date(2022, 7, 31))]
    assert eleven == list(range(1, 12))
    assert [s.number for s in subjects_in_force(dt.date(2022, 8, 1))] == list(range(1, 14))
    assert [s.number for s in required_subjects(dt.date(2023, 6, 30))] == list(range(1, 12))
    assert [s.number for s in required_subjects(dt.date(2023, 7, 1))] == list(range(1, 14))
    assert StatutorySubject.JOINT_PLANNING.in_force_from == dt.date(2022, 8, 1)
    assert StatutorySubject.CHILDREN_COMPLEX_NEEDS.required_from == dt.date(2023, 7, 1)
    assert StatutorySubject.TASK_DIVISION.in_force_from == dt.date(2012, 1, 1)
    with pytest.raises(ValidationError, match=r"2011-12-31 is before helse- og omsorgstjenesteloven"):
        subjects_in_force(dt.date(2011, 12, 31))


def test_missing_subjects_of_a_realistic_agreement() -> None:
    agreement = main_agreement()
    assert agreement.missing_subjects(on=dt.date(2020, 1, 1)) == (
        StatutorySubject.MIDWIFERY,
        StatutorySubject.ICT,
    )
    # Judged on its own date (still in force today), it also lacks the two subjects required since 2023.
    assert agreement.missing_subjects() == (
        StatutorySubject.MIDWIFERY,
        StatutorySubject.ICT,
        StatutorySubject.JOINT_PLANNING,
        StatutorySubject.CHILDREN_COMPLEX_NEEDS,
    )
    ended = main_agreement(valid_to=dt.date(2021, 12, 31))
    assert ended.missing_subjects() == (StatutorySubject.MIDWIFERY, StatutorySubject.ICT)
    in_transition = main_agreement(subjects=set(range(1, 12)))
    assert in_transition.missing_subjects(on=dt.date(2023, 1, 1)) == ()
    assert in_transition.missing_subjects(on=dt.date(2023, 7, 1)) == (
        StatutorySubject.JOINT_PLANNING,
        StatutorySubject.CHILDREN_COMPLEX_NEEDS,
    )
    assert agreement.covers(StatutorySubject.EMERGENCY_BEDS)
    assert agreement.covers(4)
    assert not agreement.covers(8)
    assert agreement.municipalities == ("3305",)


def test_subjects_accept_numbers_text_and_members() -> None:
    agreement = main_agreement(subjects=[StatutorySubject.TASK_DIVISION, 2, "3"])
    assert agreement.subjects == frozenset(StatutorySubject(n) for n in (1, 2, 3))


@given(st.sets(st.integers(min_value=1, max_value=13)), st.dates(dt.date(2012, 1, 1), dt.date(2030, 12, 31)))
def test_missing_subjects_are_the_complement_in_law_order(numbers: set[int], day: dt.date) -> None:
    missing = main_agreement(subjects=numbers).missing_subjects(on=day)
    required = 13 if day >= dt.date(2023, 7, 1) else 11
    assert [subject.number for subject in missing] == sorted(set(range(1, required + 1)) - numbers)


def test_subject_twelve_is_accepted() -> None:
    # domain-check.md, Check 4: the library rejected no. 12 as invalid.
    assert main_agreement(subjects={12, 13}).covers(12)


@pytest.mark.parametrize("number", [0, 14, -1])
def test_unknown_subject_number_is_rejected(number: int) -> None:
    with pytest.raises(ValidationError) as excinfo:
        main_agreement(subjects={1, number})
    assert str(excinfo.value) == (
        f"Agreement.subjects: {number} is not a statutory subject of helse- og omsorgstjenesteloven § 6-2 "
        "(expected a number 1–13 or a StatutorySubject; nos. 12 and 13 are in force from 1 August 2022)"
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
    result = coverage([main, *subs], on=dt.date(2021, 6, 1))
    assert list(result) == list(subjects_in_force(dt.date(2021, 6, 1)))
    assert [subject.number for subject, covered in result.items() if not covered] == [8, 10, 11]
    assert all(coverage([main, *subs, sub_agreement(10, {8, 10, 11})], on=dt.date(2021, 6, 1)).values())


def test_coverage_judges_by_the_law_on_the_agreements_date() -> None:
    # domain-check.md, Check 4: coverage() called an agreement complete while two statutory subjects
    # (nos. 12 and 13, required from 1 July 2023, HDIR-62) were missing.
    main = main_agreement(subjects=set(range(1, 12)))
    assert all(coverage([main], on=dt.date(2022, 7, 31)).values())
    now = coverage([main])  # judged on its own date: still in force, so today
    assert list(now) == list(StatutorySubject)
    assert [s.number for s, covered in now.items() if not covered] == [12, 13]
    ended = attrs.evolve(main, valid_to=dt.date(2021, 12, 31))
    assert list(coverage([ended])) == list(subjects_in_force(dt.date(2021, 12, 31)))
    assert judged_on([ended]) == dt.date(2021, 12, 31)
    assert judged_on([main], today=dt.date(2030, 1, 1)) == dt.date(2030, 1, 1)


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
    assert len(result) == 11
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
