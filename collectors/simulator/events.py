"""Natural faults of one centre on one local day, and province-wide OTP overloads.

Rates are per centre per day, at low levels so that at any moment most centres
are healthy, a few degraded and rarely one down (domain.md: rural communes
suffer power cuts and weak lines; components fail; the OTP gateway and VNeID
were overloaded for whole days). All times are local seconds since midnight.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from collectors.simulator.profiles import (
    DAY_S,
    TAG_EVENTS,
    TAG_NATION,
    TAG_PROVINCE,
    Profile,
    rng_for,
    windows,
)

H = 3600.0

# Chance per day that each natural fault starts, (rural, urban).
P_POWER_CUT = (0.05, 0.008)
P_DEAD_LINE = (0.015, 0.004)
P_WEAK_LINE = (0.12, 0.03)
P_SYNC_BACKLOG = (0.06, 0.04)
P_SYSTEM_HANG = 0.01
P_COMPONENT = {"esign": 0.04, "payment": 0.04, "results_return": 0.03, "portal_link": 0.03}
P_PROVINCE_OVERLOAD = 0.03  # per province per working day
P_NATIONAL_OVERLOAD = 0.004  # per day: a VNeID-style nationwide overload


@dataclass(frozen=True, slots=True)
class Span:
    """An interval [start, end) in local seconds, with what it does."""

    start: float
    end: float
    state: str = ""  # component state ('degraded' or 'down') where it applies
    value: float = 0.0  # extra: UPS end (power cut), answer delay s (weak line)

    def covers(self, s: float) -> bool:
        return self.start <= s < self.end


@dataclass(frozen=True, slots=True)
class DayEvents:
    """A centre's natural faults on one local day."""

    power_cut: Span | None = None  # value = when the UPS runs out
    dead_line: Span | None = None
    weak_line: Span | None = None  # value = extra answer delay in seconds
    system_hang: Span | None = None
    sync_backlog: Span | None = None
    components: tuple[tuple[str, Span], ...] = field(default_factory=tuple)


def _span(
    rng: np.random.Generator,
    first: float,
    last: float,
    min_s: float,
    max_s: float,
    state: str = "",
    value: float = 0.0,
) -> Span:
    """A span starting uniformly in [first, last) lasting log-uniformly min_s..max_s."""
    start = float(rng.uniform(first, last))
    length = float(np.exp(rng.uniform(np.log(min_s), np.log(max_s))))
    return Span(start, min(DAY_S, start + length), state, value)


def day_events(seed: int, profile: Profile, day: int) -> DayEvents:
    """The natural faults of one centre on local day `day` (deterministic)."""
    rng = rng_for(seed, TAG_EVENTS, profile.key, day)
    draws = rng.random(9)
    r = 0 if profile.rural else 1
    f = profile.fault_rate
    open_hours = bool(windows(profile, day))
    power = dead = weak = hang = backlog = None
    if draws[0] < P_POWER_CUT[r] * f:
        cut = _span(rng, 6 * H, 19 * H, 20 * 60, 4 * H)
        power = Span(cut.start, cut.end, value=cut.start + profile.ups_s)
    if draws[1] < P_DEAD_LINE[r] * f:
        dead = _span(rng, 6 * H, 20 * H, 10 * 60, 2 * H)
    if draws[2] < P_WEAK_LINE[r] * f:
        weak = _span(rng, 6.5 * H, 16 * H, 30 * 60, 4 * H, value=float(rng.uniform(0.3, 1.5)))
    if open_hours and draws[3] < P_SYSTEM_HANG * f:
        hang = _span(rng, 7.5 * H, 16.5 * H, 10 * 60, H)
    if open_hours and draws[4] < P_SYNC_BACKLOG[r] * f:
        backlog = _span(rng, 8 * H, 15 * H, 30 * 60, 4 * H)
    components = []
    for i, (name, p) in enumerate(P_COMPONENT.items()):
        if draws[5 + i] < p * f:
            state = "down" if rng.random() < 0.3 else "degraded"
            components.append((name, _span(rng, 7 * H, 16 * H, 15 * 60, 3 * H, state)))
    return DayEvents(power, dead, weak, hang, backlog, tuple(components))


@dataclass(frozen=True, slots=True)
class Overload:
    """An OTP gateway overload: latency multipliers over a span of the day."""

    span: Span
    p50_factor: float
    p95_factor: float


def overloads(seed: int, province_code: int, day: int, working_day: bool) -> list[Overload]:
    """Province-wide and nationwide OTP overloads on local day `day`."""
    out = []
    nation = rng_for(seed, TAG_NATION, day)
    if nation.random() < P_NATIONAL_OVERLOAD:
        out.append(
            Overload(
                _span(nation, 7 * H, 9 * H, 8 * H, 12 * H),
                float(nation.uniform(3, 6)),
                float(nation.uniform(6, 15)),
            )
        )
    prov = rng_for(seed, TAG_PROVINCE, province_code, day)
    if working_day and prov.random() < P_PROVINCE_OVERLOAD:
        out.append(
            Overload(
                _span(prov, 8 * H, 14 * H, H, 5 * H),
                float(prov.uniform(2, 5)),
                float(prov.uniform(4, 12)),
            )
        )
    return out
