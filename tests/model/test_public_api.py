"""The public surface of samhandling.model: exports, finality, frozenness."""

from __future__ import annotations

import enum

import attrs
import pytest

import samhandling.model as model


def test_all_names_are_exported_and_exist() -> None:
    assert len(model.__all__) == len(set(model.__all__))
    for name in model.__all__:
        assert hasattr(model, name), name


@pytest.mark.parametrize(
    "cls",
    [getattr(model, name) for name in model.__all__ if attrs.has(getattr(model, name))],
    ids=lambda cls: cls.__name__,
)
def test_domain_classes_are_slotted_kw_only_and_final(cls: type) -> None:
    # Frozenness is checked with real instances in each module's tests (FrozenInstanceError).
    assert "__slots__" in cls.__dict__
    assert all(field.kw_only for field in attrs.fields(cls))
    assert getattr(cls, "__final__", False)
    assert cls.__doc__


def test_enums_are_exported() -> None:
    for name in ("AgreementKind", "PartyKind", "ServiceLevel", "StatutorySubject", "UnitType"):
        assert issubclass(getattr(model, name), enum.Enum)
