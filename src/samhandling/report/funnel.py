"""Control limits for funnel plots: how far an area's rate may lie from the national rate by chance alone.

A funnel plot (Spiegelhalter 2005, *Funnel plots for comparing institutional performance*, Statistics in
Medicine 24:1185–1202) sets each area's rate per 10,000 inhabitants against its population, with limits
around the national rate that narrow as the population grows: a small municipality's rate swings more by
chance than a large one's.  The method here:

1. **Poisson limits.**  An area with ``n`` ten-thousands of inhabitants expects ``E = θ·n`` events at the
   national rate ``θ``.  Its limits are the 2.5/97.5 % (95 %) and 0.1/99.9 % (99.8 %) points of a
   Poisson count with mean ``E``, by Byar's approximation to the exact Poisson limits (as in Public
   Health England's *Technical guide: confidence intervals*), divided by ``n``.
2. **Over-dispersion.**  Real differences between municipalities (in needs, in how services are
   organised) are larger than Poisson chance, so most areas would fall outside.  The z-scores
   ``(rate − θ) / √(θ/n)``, winsorised at their 10th and 90th percentiles, give the dispersion
   ``φ = mean(z²)``; when ``I·φ`` exceeds ``(I − 1) + 2√(2(I − 1))`` (``I`` areas) the spread is
   over-dispersed, and the limits become ``θ ± z·√(θ/n + τ²)`` with the between-area variance ``τ²``
   estimated by the DerSimonian–Laird method from the same z-scores (Spiegelhalter 2005, section 6.4).

For årsverk the same model is an approximation (årsverk are not counts of independent events); the
over-dispersion step is what makes it usable, and the report says which limits were used.
"""

from __future__ import annotations

import math
import typing

import attrs
import numpy as np

__all__ = ["Limits", "classify", "control_limits", "limit_curves"]

#: Two-sided z values of the limits: 95 % and 99.8 %.
Z_95 = 1.959964
Z_998 = 3.090232


@typing.final
@attrs.frozen(kw_only=True)
class Limits:
    """The model behind the limits: the national rate, over-dispersion and the between-area variance."""

    rate: float
    areas: int
    phi: float
    tau2: float
    overdispersed: bool

    def bounds(self, population: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper limits (rates per 10,000) for areas of the given populations."""
        exposure = np.maximum(np.asarray(population, dtype=float), 1.0) / 10_000.0
        if self.overdispersed:
            spread = z * np.sqrt(self.rate / exposure + self.tau2)
            return np.maximum(self.rate - spread, 0.0), self.rate + spread
        expected = self.rate * exposure
        lower = _byar_lower(expected, z) / exposure
        upper = _byar_upper(expected, z) / exposure
        return lower, upper


def _byar_lower(expected: np.ndarray, z: float) -> np.ndarray:
    safe = np.maximum(expected, 1e-12)
    value = safe * (1.0 - 1.0 / (9.0 * safe) - z / (3.0 * np.sqrt(safe))) ** 3
    return np.where(expected > 0, np.maximum(value, 0.0), 0.0)


def _byar_upper(expected: np.ndarray, z: float) -> np.ndarray:
    shifted = expected + 1.0
    return shifted * (1.0 - 1.0 / (9.0 * shifted) + z / (3.0 * np.sqrt(shifted))) ** 3


def control_limits(rates: np.ndarray, population: np.ndarray, national: float) -> Limits:
    """The limits model for areas with these rates (per 10,000) and populations around ``national``."""
    rates = np.asarray(rates, dtype=float)
    exposure = np.maximum(np.asarray(population, dtype=float), 1.0) / 10_000.0
    areas = int(rates.size)
    if areas < 3 or national <= 0:
        return Limits(rate=national, areas=areas, phi=1.0, tau2=0.0, overdispersed=False)
    variance = national / exposure
    z = (rates - national) / np.sqrt(variance)
    low, high = np.percentile(z, [10.0, 90.0])
    winsorised = np.clip(z, low, high)
    phi = float(np.mean(winsorised**2))
    overdispersed = areas * phi > (areas - 1) + 2.0 * math.sqrt(2.0 * (areas - 1))
    tau2 = 0.0
    if overdispersed:
        weights = 1.0 / variance
        tau2 = max(0.0, (areas * phi - (areas - 1)) / (weights.sum() - (weights**2).sum() / weights.sum()))
    return Limits(rate=national, areas=areas, phi=phi, tau2=float(tau2), overdispersed=overdispersed)


def classify(limits: Limits, rates: np.ndarray, population: np.ndarray, z: float = Z_998) -> np.ndarray:
    """−1 for an area below the lower limit, +1 above the upper one, 0 within."""
    lower, upper = limits.bounds(np.asarray(population, dtype=float), z)
    rates = np.asarray(rates, dtype=float)
    return np.where(rates < lower, -1, np.where(rates > upper, 1, 0)).astype(np.int64)


def limit_curves(
    limits: Limits, smallest: float, largest: float, points: int = 60
) -> dict[float, tuple[list[float], list[float], list[float]]]:
    """The limit curves over populations from ``smallest`` to ``largest`` (log-spaced), per z value."""
    population = np.geomspace(max(smallest, 50.0), max(largest, smallest * 10.0), points)
    curves = {}
    for z in (Z_95, Z_998):
        lower, upper = limits.bounds(population, z)
        curves[z] = (population.tolist(), lower.tolist(), upper.tolist())
    return curves
