"""What never changes about a simulated centre: its size, habits and local calendar.

Everything here is a pure function of (seed, centre): the same in any process,
so history backfilled from the model matches what the live server serves.
Random draws come from generators seeded by (seed, centre key, purpose, bucket),
never from a shared stateful generator whose answers depend on call order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from config.catalogue import PROCEDURES
from config.registry import KIND_PROVINCIAL, Centre

# Asia/Ho_Chi_Minh is UTC+7 all year (no daylight saving since 1975), so local
# time is a fixed offset and a local day is a plain 86,400 s bucket.
UTC_OFFSET_S = 7 * 3600
DAY_S = 86_400
EPOCH = date(1970, 1, 1)

# Working windows in local seconds since midnight (domain.md): 07:30–11:30, 13:30–17:00.
MORNING = (7.5 * 3600, 11.5 * 3600)
AFTERNOON = (13.5 * 3600, 17 * 3600)

# Fixed-date public holidays (New Year, Reunification Day, Labour Day, National Day).
# Tết and Hùng Kings' day follow the lunar calendar and are not modelled.
HOLIDAYS = {(1, 1), (4, 30), (5, 1), (9, 2)}

MASK64 = (1 << 64) - 1

# Purposes of random draws; each is one word of the generator's seed.
TAG_PROFILE, TAG_DAY, TAG_EVENTS, TAG_PROVINCE, TAG_NATION = 1, 2, 3, 4, 5

# Procedure table, in PROCEDURES order. share: base share of dossiers (certified
# copies dominate); fee: chance the dossier carries a fee; quick: resolved the
# same working day; work_min: median handling in working minutes for quick ones;
# days: median calendar days for the others; late: chance a resolution is late;
# supplement: chance a supplement is requested.
PROC_SHARE = np.array([0.40, 0.07, 0.04, 0.04, 0.09, 0.12, 0.14, 0.10])
PROC_FEE = np.array([1.0, 0.9, 0.0, 0.0, 0.0, 0.95, 0.3, 0.0])
PROC_QUICK = np.array([True, False, False, True, True, False, False, True])
PROC_WORK_MIN = np.array([25.0, 0, 0, 90, 75, 0, 0, 120])
PROC_DAYS = np.array([0.0, 3, 3, 0, 0, 15, 5, 0])
PROC_LATE = np.array([0.005, 0.04, 0.03, 0.01, 0.01, 0.10, 0.05, 0.01])
PROC_SUPPLEMENT = np.array([0.01, 0.15, 0.08, 0.03, 0.03, 0.25, 0.10, 0.05])
assert len(PROC_SHARE) == len(PROCEDURES)

# Monthly dossiers by centre kind (log-uniform range). A big urban ward takes
# 4,500–5,000 a month; a mountain commune a few hundred (domain.md).
MONTHLY_RANGE: dict[str, tuple[float, float]] = {
    "phường": (900.0, 5000.0),
    "xã": (150.0, 1400.0),
    "đặc khu": (200.0, 900.0),
    KIND_PROVINCIAL: (4000.0, 12000.0),
}
WORKING_DAYS_PER_MONTH = 22.0


def splitmix64(x: int) -> int:
    """A 64-bit mixing function: cheap, stateless noise for per-bucket jitter."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def unit_noise(*words: int) -> float:
    """A uniform number in [0, 1) determined by the words alone."""
    h = 0
    for w in words:
        h = splitmix64(h ^ (w & MASK64))
    return (h >> 11) / float(1 << 53)


def rng_for(seed: int, *words: int) -> np.random.Generator:
    """A numpy generator seeded by (seed, words): the same stream in every process."""
    return np.random.default_rng([seed & MASK64, *(w & MASK64 for w in words)])


def centre_key(centre_id: str) -> int:
    """A number unique per centre id (ward '00004' and province '04' must differ)."""
    return int(centre_id) + (1_000_000 if len(centre_id) == 2 else 0)


def local_day(t: float) -> tuple[int, float]:
    """(local day number since 1970-01-01, local seconds since that day's midnight)."""
    local = t + UTC_OFFSET_S
    day = int(local // DAY_S)
    return day, local - day * DAY_S


def day_start_utc(day: int) -> float:
    """Unix time of local midnight starting local day `day`."""
    return day * DAY_S - UTC_OFFSET_S


def day_date(day: int) -> date:
    return EPOCH + timedelta(days=day)


@dataclass(frozen=True, slots=True)
class Profile:
    """A centre's stable traits, drawn once per (seed, centre)."""

    key: int
    province_code: int
    rural: bool  # communes and special zones: weaker power and network lines
    monthly: float  # dossiers a month
    online_share: float  # 0.20–0.45 of dossiers filed online
    saturday: bool  # open Saturday mornings
    mix: np.ndarray  # procedure shares, summing to 1
    digitised: float  # share of dossiers digitised at reception
    e_result: float  # share of results issued electronically
    paid_online: float  # share of fee-bearing online dossiers paid online
    lateness: float  # multiplier on procedure late rates
    otp_p50_ms: float  # OTP median latency off-peak
    otp_spread: float  # p95 / p50 off-peak
    ups_s: float  # UPS runtime before a power cut takes the centre down
    fault_rate: float  # multiplier on component failure rates


def make_profile(seed: int, centre: Centre) -> Profile:
    """The stable traits of `centre` under `seed`."""
    key = centre_key(centre.id)
    rng = rng_for(seed, TAG_PROFILE, key)
    lo, hi = MONTHLY_RANGE.get(centre.kind, MONTHLY_RANGE["xã"])
    monthly = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    rural = centre.kind in ("xã", "đặc khu")
    mix = PROC_SHARE * rng.uniform(0.7, 1.3, len(PROC_SHARE))
    if rural:  # more land and residence, less business than in town
        mix = mix * np.array([1.0, 0.5, 0.7, 1.1, 1.1, 1.5, 1.0, 1.1])
    return Profile(
        key=key,
        province_code=centre.province_code,
        rural=rural,
        monthly=monthly,
        online_share=float(rng.uniform(0.20, 0.45)),
        saturday=bool(rng.random() < (0.6 if centre.kind == KIND_PROVINCIAL else 0.25)),
        mix=mix / mix.sum(),
        digitised=float(rng.uniform(0.55, 0.97)),
        e_result=float(rng.uniform(0.40, 0.92)),
        paid_online=float(rng.uniform(0.55, 0.92)),
        lateness=float(rng.uniform(0.3, 2.0)),
        otp_p50_ms=float(rng.uniform(1500.0, 3500.0)),
        otp_spread=float(rng.uniform(2.5, 4.0)),
        ups_s=float(rng.uniform(600.0, 3600.0)),
        fault_rate=float(rng.uniform(0.5, 1.6)),
    )


def windows(profile: Profile, day: int) -> tuple[tuple[float, float], ...]:
    """The centre's working windows (local seconds) on local day `day`; () when closed."""
    d = day_date(day)
    if (d.month, d.day) in HOLIDAYS:
        return ()
    weekday = d.weekday()
    if weekday < 5:
        return (MORNING, AFTERNOON)
    if weekday == 5 and profile.saturday:
        return (MORNING,)
    return ()


def school_bump(day: int) -> float:
    """Extra certified-copy demand at the start of the school year (peak 1.3× on 1 Sept).

    Certified copies rise by 15–20 a day in a big ward before school starts on 5 Sept.
    """
    d = day_date(day)
    peak = date(d.year, 9, 1)
    distance = abs((d - peak).days)
    return 1.0 + 0.3 * max(0.0, 1.0 - distance / 25.0)
