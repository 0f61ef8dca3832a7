"""Target groups (målgrupper): the groups of people services, teams and statistics are aimed at.

Municipalities report which target groups they find hardest to serve, teams are set up for a target
group, and rates are computed per inhabitant of the group's age band.  A :class:`TargetGroup` is a
catalogue entry with a stable slug code; :data:`BUILTIN_TARGET_GROUPS` holds the groups named in the
seed material and the IS-24/8 survey.  Plugins add groups through a hook.
"""

from __future__ import annotations

import typing
from typing import Any

import attrs

from samhandling.model import _validators as v

__all__ = ["BUILTIN_TARGET_GROUPS", "TargetGroup"]

AgeBand = tuple[int, int | None]


def _to_age_band(value: AgeBand | list[int | None] | None) -> AgeBand | None:
    """A list ``[18, None]`` (e.g. from JSON) becomes the tuple ``(18, None)``."""
    if isinstance(value, list):
        return typing.cast(AgeBand, tuple(value))
    return value


def _age_band(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    expected = "(expected (lowest_age, highest_age) in whole years, highest_age None for 'and older')"
    if not isinstance(value, tuple) or len(value) != 2:
        v.fail(instance, attribute, value, f"is not an age band {expected}")
    low, high = value
    if isinstance(low, bool) or not isinstance(low, int) or low < 0:
        v.fail(instance, attribute, value, f"has an invalid lowest age {low!r} {expected}")
    if high is not None and (isinstance(high, bool) or not isinstance(high, int) or high < low):
        v.fail(instance, attribute, value, f"has an invalid highest age {high!r} {expected}")


@typing.final
@attrs.frozen(kw_only=True)
class TargetGroup:
    """A målgruppe such as ROP (samtidig rusmisbruk og psykisk lidelse), with a slug ``code``.

    ``age_band`` is ``(lowest, highest)`` in whole years, both inclusive, with ``highest=None`` for
    "and older": ``(0, 17)`` for children and young people, ``(18, None)`` for adults.  It is set only
    when the group is defined by age, because that is what a rate per 10,000 inhabitants of the group
    needs as its denominator; groups defined by need have ``None``.
    """

    code: str = attrs.field(validator=v.matches(v.SLUG))
    name: str = attrs.field(converter=v.strip_text, validator=v.text)
    name_en: str = attrs.field(converter=v.strip_text, validator=v.text)
    description: str = attrs.field(default="", converter=v.strip_text, validator=v.instance_of(str, "text"))
    age_band: AgeBand | None = attrs.field(
        default=None, converter=_to_age_band, validator=v.optional(_age_band)
    )

    def includes_age(self, age: int) -> bool:
        """Whether a person aged ``age`` falls in the age band (always ``True`` without a band)."""
        if self.age_band is None:
            return True
        low, high = self.age_band
        return low <= age and (high is None or age <= high)


def _group(
    code: str, name: str, name_en: str, description: str, age_band: AgeBand | None = None
) -> TargetGroup:
    return TargetGroup(code=code, name=name, name_en=name_en, description=description, age_band=age_band)


#: The built-in target groups.  Codes are stable; names follow the field's usage.
BUILTIN_TARGET_GROUPS: tuple[TargetGroup, ...] = (
    _group(
        "rop",
        "Samtidig rusmisbruk og psykisk lidelse (ROP)",
        "Co-occurring substance use and mental disorders",
        "People with both a substance-use problem and a mental disorder; the national ROP guideline "
        "asks municipality and specialist care to serve them together.",
    ),
    _group(
        "alvorlige_lidelser",
        "Personer med alvorlige og omfattende psykiske lidelser og/eller rusproblemer",
        "People with severe and complex mental-health or substance-use disorders",
        "Long-term, severe illness with a need for coordinated services from several providers.",
    ),
    _group(
        "stor_funksjonssvikt",
        "Personer med stor funksjonssvikt og svak tilknytning til tjenesteapparatet",
        "People with severe functional impairment and weak ties to services",
        "Severe impairment from mental illness and/or substance dependence, with weak or no contact with "
        "services or a high risk of harm on relapse: the target group of municipality–DPS cooperation "
        "teams (samhandlingsteam) and FACT teams.",
    ),
    _group(
        "unge_sammensatte_behov",
        "Unge med sammensatte behov",
        "Young people with complex needs",
        "Young people who need help from several services at once (school, child welfare, NAV, BUP), "
        "including those who drop out of upper secondary school.",
    ),
    _group(
        "tar_ikke_imot_hjelp",
        "Personer som ikke ønsker eller klarer å ta imot hjelp",
        "People who decline help or cannot make use of offers",
        "People who do not seek, accept or manage to use the services offered; the group municipalities "
        "often report as hardest to reach.",
    ),
    _group(
        "ressurssvake_familier",
        "Ressurssvake familier",
        "Families with few resources",
        "Families with weak economic, social or health resources, often with children at risk.",
    ),
    _group(
        "flyktninger",
        "Flyktninger og asylsøkere",
        "Refugees and asylum seekers",
        "Refugees, asylum seekers and people granted residence, including those with trauma.",
    ),
    _group(
        "venter_rusbehandling",
        "Personer som venter på rusbehandling",
        "People waiting for substance-use treatment",
        "People who have been through detoxification and wait for a place in specialised substance-use "
        "treatment (TSB); the municipality serves them while they wait (venteplass).",
    ),
    _group(
        "barn_unge",
        "Barn og unge (0–17 år)",
        "Children and young people (0–17)",
        "Everyone under 18; the age band is the denominator of rates for children and young people.",
        (0, 17),
    ),
    _group(
        "voksne",
        "Voksne (18 år og eldre)",
        "Adults (18 and older)",
        "Everyone aged 18 or over; the age band is the denominator of rates for adults.",
        (18, None),
    ),
    _group(
        "eldre",
        "Eldre (alderspsykiatri, 67 år og eldre)",
        "Elderly (old-age psychiatry, 67 and older)",
        "Older people with mental-health or substance-use problems; alderspsykiatri in specialist care.",
        (67, None),
    ),
)
