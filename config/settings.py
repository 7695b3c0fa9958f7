"""The typed configuration model. Strict: unknown keys are errors, never ignored.

Loaded by `config.loader` from `config/ioc.yaml` (or the file named by
`IOC_CONFIG`) plus `IOC_*` environment variables. Secrets never live in YAML:
a database URL with a password must come from `IOC_DB_URL`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from config.roles import OidcSettings

# The only databases the store speaks (metrics/store/dialects.py): a driver outside this map is
# refused at load, so no process starts on a URL it would die on later.
STORE_DRIVERS: dict[str, tuple[str, ...]] = {
    "sqlite": ("pysqlite",),
    "postgresql": ("psycopg",),  # `postgresql://` alone means psycopg 3 here
}
URL_SCHEMES = ("http://", "https://")  # the only schemes a centre is polled over


def store_url_problem(url: str) -> str | None:
    """Why `url` is no database URL the store can open, or None. Never repeats the URL
    (it may hold a password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return "not a database URL: use sqlite:///path or postgresql+psycopg://user@host/db"
    backend, _, driver = parsed.drivername.partition("+")
    backend = "postgresql" if backend == "postgres" else backend
    if backend not in STORE_DRIVERS:
        return (f"unsupported database {backend!r}: only SQLite (sqlite:///path) and "
                "PostgreSQL (postgresql+psycopg://user@host/db) are supported")
    if driver and driver not in STORE_DRIVERS[backend]:
        return (f"unsupported {backend} driver {driver!r}: use "
                f"{backend}+{STORE_DRIVERS[backend][0]}")
    return None


def http_url_problem(url: str) -> str | None:
    """Why `url` (a centre's base URL or the endpoint template) is not an http(s) URL."""
    if url.lower().startswith(URL_SCHEMES):
        return None
    scheme = url.split("://", 1)[0] + "://" if "://" in url else url[:20]
    return f"not an http(s) URL ({scheme!r}): centres are polled over http:// or https:// only"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


ProbeKind = Literal["http", "json", "prometheus"]


class ProbeSpec(Strict):
    """One request a poll makes to a centre: its kind and path below the centre's base URL."""

    kind: ProbeKind
    path: str = Field(pattern=r"^/")
    profile: str = "default"  # which mapping (config/probes.yaml) reads the answer


class DeploymentSettings(Strict):
    name: str = "IOC"
    # production: the simulator's fault-injection API never runs, whatever
    # simulator.allow_faults says; demo: it follows allow_faults (docs/operations.md).
    mode: Literal["production", "demo"] = "production"
    scope: Literal["province", "national"] = "province"
    province: int | None = Field(default=None, ge=1, le=99)
    include_provincial_centre: bool = False
    site_file: Path | None = None  # coordinates and endpoints, relative to the config file
    # The briefing document's letterhead: the body the IOC belongs to (default "UBND " and the
    # province's name) and the place written before the date (default: the province's name
    # without "Tỉnh"/"Thành phố"; none for a national deployment: left blank to fill in).
    organisation: str | None = Field(default=None, max_length=200)
    place: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _province_when_scoped(self) -> DeploymentSettings:
        if self.scope == "province" and self.province is None:
            raise ValueError("scope 'province' needs 'province' (the official province code)")
        return self


class RetentionSettings(Strict):
    """How long each resolution is kept, and how pruning may use the database (docs/store.md)."""

    raw_days: float = Field(default=7, gt=0)  # samples and polls
    rollup_5m_days: float = Field(default=90, gt=0)
    rollup_1h_days: float = Field(default=730, gt=0)
    # Daily (local days), for KPI periods: 5 years, so year-on-year reports reach back and an
    # hourly retention raised up to that still validates; a day row is 1/24 of an hour's.
    rollup_1d_days: float = Field(default=1825, gt=0)
    every_minutes: float = Field(default=10, gt=0)  # the collector prunes at most this often
    budget_s: float = Field(default=2.0, gt=0, le=60)  # … and for at most this long each time
    batch_rows: int = Field(default=5_000, ge=100, le=1_000_000)  # rows per transaction

    @model_validator(mode="after")
    def _coarser_lives_longer(self) -> RetentionSettings:
        if not (self.raw_days <= self.rollup_5m_days <= self.rollup_1h_days
                <= self.rollup_1d_days):
            raise ValueError(
                "keep raw_days <= rollup_5m_days <= rollup_1h_days <= rollup_1d_days")
        return self


class StoreSettings(Strict):
    url: str = "sqlite:///data/ioc.db"
    batch_size: int = Field(default=50_000, ge=100)
    retention: RetentionSettings = RetentionSettings()

    @field_validator("url")
    @classmethod
    def _supported_database(cls, url: str) -> str:
        if (problem := store_url_problem(url)) is not None:
            raise ValueError(problem)
        return url


class CollectorSettings(Strict):
    interval_s: float = Field(default=15.0, gt=0.5, le=3600)
    timeout_s: float = Field(default=3.0, gt=0, le=120)
    connect_timeout_s: float = Field(default=2.0, gt=0, le=120)
    workers: int = Field(default=2, ge=1, le=64)  # processes
    concurrency: int = Field(default=192, ge=1, le=2048)  # threads per worker
    retries: int = Field(default=1, ge=0, le=5)
    # A failure is confirmed (and may alert) once the centre has failed every observation for
    # this long; re-probes after a run's first failure make sure it is observed then.
    confirm_window_s: float = Field(default=4.0, ge=0, le=600)
    reprobe_after_s: tuple[float, ...] = (1.0, 4.0)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    endpoint_template: str = "http://{sim_host}:{sim_port}/c/{id}"
    probes: tuple[ProbeSpec, ...] = (ProbeSpec(kind="json", path="/status"),)
    metrics_port: int = Field(default=9108, ge=0, le=65535)  # 0: do not serve /metrics
    metrics_host: str = "127.0.0.1"
    # Where a collector keeps cycles it cannot write to the database (relative to the working
    # directory, like the SQLite file; one sub-folder per --shard/--provinces); null: none.
    spool_dir: Path | None = Path("data/spool")
    spool_max_bytes: int = Field(default=268_435_456, ge=65_536)  # beyond: newest dropped
    # How long a shard's cell stays a collector's without renewal (--shard, --provinces);
    # null: ¾ of interval_s. Longer rides out a slower database, but a dead collector's
    # centres wait up to this plus one interval before another collector polls them.
    lease_ttl_s: float | None = Field(default=None, gt=0, le=3600)

    @field_validator("endpoint_template")
    @classmethod
    def _http_template(cls, template: str) -> str:
        if (problem := http_url_problem(template)) is not None:
            raise ValueError(problem)
        return template

    @model_validator(mode="after")
    def _reprobes_in_window(self) -> CollectorSettings:
        times = self.reprobe_after_s
        if any(not 0 < t <= self.confirm_window_s for t in times) or list(times) != sorted(
                set(times)):
            raise ValueError(f"reprobe_after_s {list(times)}: want increasing times in "
                             f"(0, confirm_window_s = {self.confirm_window_s}]")
        if self.confirm_window_s > 0 and (not times or times[-1] != self.confirm_window_s):
            raise ValueError(f"reprobe_after_s {list(times)}: the last re-probe must come at "
                             f"the end of the window (confirm_window_s = "
                             f"{self.confirm_window_s}), or the failure is never confirmed")
        return self

    @model_validator(mode="after")
    def _timeouts_fit_interval(self) -> CollectorSettings:
        if self.timeout_s >= self.interval_s:
            raise ValueError(
                f"timeout_s ({self.timeout_s}) must be shorter than interval_s ({self.interval_s})"
            )
        return self


class SimulatorSettings(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8700, ge=1, le=65535)
    seed: int = 7
    fleet: str = Field(default="hue", pattern=r"^(hue|national|province:\d{1,2})$")
    allow_faults: bool = True  # the fault-injection endpoint; off in production
    # The day's own power cuts, weak lines, sync backlogs, OTP overloads; false leaves
    # only injected faults (the fault-injection suite needs every alert to be its own).
    natural_faults: bool = True
    # A scenario the simulator replays (collectors/simulator/scenario.py, docs/simulator.md),
    # e.g. "hue-first-week"; "": none. Its sizes apply every day, its quotas and faults on
    # its own (historical) days, which `ioc backfill` writes at their real dates.
    scenario: str = Field(default="", pattern=r"^[a-z0-9-]{0,40}$")


class LoggingSettings(Strict):
    """How every process logs (config/logs.py): text lines or JSON lines, on stderr."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


LaggingMetric = Literal["on_time_rate_today", "availability_24h"]
# Finder metrics that are alert conditions: their thresholds live in config/alerts.yaml only.
ALERT_THRESHOLDS = {"sync_lag_s": "sync_lag_high", "otp_p95_s": "otp_p95_high",
                    "overdue": "overdue_high", "unsynced": "unsynced_growing"}


class LaggingRule(Strict):
    """One service-level rule of the lagging-commune finder: `metric` `comparison`
    `threshold` breaks it (today's on-time rate, availability over 24 h; ratios in [0, 1]).

    Problems with a centre's system (down, stale, slow OTP, sync lag, overdue dossiers…)
    are the alert rules' (config/alerts.yaml), which the finder shows as they are;
    `label` names the rule on the page (default: the metric's name in the page's language).
    """

    metric: LaggingMetric
    comparison: Literal["below", "above"]
    threshold: float = Field(ge=0)
    label: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _alert_metric(cls, data: object) -> object:
        metric = data.get("metric") if isinstance(data, dict) else None
        if metric in ALERT_THRESHOLDS:
            raise ValueError(f"{metric} is an alert condition: set its threshold in "
                             f"alerts.yaml (rule {ALERT_THRESHOLDS[metric]}), which every "
                             "page and alert reads")
        return data


DEFAULT_LAGGING: tuple[LaggingRule, ...] = (
    LaggingRule(metric="on_time_rate_today", comparison="below", threshold=0.9),
    LaggingRule(metric="availability_24h", comparison="below", threshold=0.95),
)


class DashboardSettings(Strict):
    port: int = Field(default=8501, ge=1, le=65535)
    refresh_s: float = Field(default=10.0, ge=2, le=3600)
    language: Literal["vi", "en"] = "vi"
    tile_url: str | None = None  # optional raster tile URL for sites that have a tile server
    timezone: str = "Asia/Ho_Chi_Minh"
    # Who may open it (docs/security.md): local accounts from `users_file` (relative to this
    # file's folder), the site's identity provider (oidc: st.login), or none: no sign-in,
    # everyone gets `role` and the whole store (a trusted single-user install, tests).
    auth: Literal["local", "oidc", "none"] = "local"
    users_file: Path = Path("users.yaml")
    # How long a local sign-in lasts (across reloads and tabs) before asking again: from
    # sign-in, not renewed by use (metrics/access/sessions.py). At most 30 days.
    session_hours: float = Field(default=12.0, gt=0, le=720)
    oidc: OidcSettings = OidcSettings()
    # The role when auth is none: acknowledge/silence buttons need ioc_staff, tech or admin.
    role: Literal["leader", "ioc_staff", "tech", "admin"] = "ioc_staff"
    # The daily conferences (giao ban, local time): morning after opening at 07:30,
    # afternoon after the 13:30 reopening; a briefing counts incidents since the previous.
    briefing_times: tuple[Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")], ...] \
        = Field(default=("08:00", "14:00"), min_length=1)
    # The finder's service-level rules for a lagging commune (dashboard/app_pages/finder.py).
    lagging: tuple[LaggingRule, ...] = DEFAULT_LAGGING
    # The wall's playlist (?playlist=) stops on a new critical alert nobody has acknowledged;
    # it rotates again once the alert is acknowledged, or after this many seconds of firing.
    playlist_hold_s: float = Field(default=300.0, ge=30, le=86_400)

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, data: object) -> object:
        if isinstance(data, dict) and "stale_after_s" in data:
            raise ValueError("stale_after_s: when data is stale is defined once, with the "
                             "alert rules: the `stale` rule (centre_silent) in alerts.yaml")
        return data


class Settings(Strict):
    deployment: DeploymentSettings = DeploymentSettings(scope="province", province=46)
    store: StoreSettings = StoreSettings()
    collector: CollectorSettings = CollectorSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    dashboard: DashboardSettings = DashboardSettings()
    logging: LoggingSettings = LoggingSettings()


class SiteCentre(Strict):
    """A centre's entry in a site file: where it is and, for real sites, how to reach it."""

    lat: float | None = Field(default=None, ge=8.0, le=24.0)  # Vietnam's latitude band
    lon: float | None = Field(default=None, ge=102.0, le=118.0)
    url: str | None = None  # base URL; default: the collector's endpoint_template
    probes: tuple[ProbeSpec, ...] | None = None  # default: the collector's probes
    population: int | None = Field(default=None, ge=0)
    enabled: bool = True  # false: not polled, and not shown as down or stale anywhere
    # The centre's own id in its documents (profile's `centre_id` path), when its system
    # does not use the official code, e.g. "HUE-PX-01"; default: the official code.
    document_id: str | None = Field(default=None, min_length=1, max_length=64,
                                    pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and (problem := http_url_problem(url)) is not None:
            raise ValueError(problem)
        return url

    @model_validator(mode="after")
    def _both_or_neither(self) -> SiteCentre:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class SiteFile(Strict):
    """A deployment's site file (e.g. config/sites/hue.yaml): per-centre facts."""

    province: int = Field(ge=1, le=99)
    coordinates_approximate: bool = True
    note: str = ""
    # all: every centre of the deployment's scope is watched (those `enabled: false` below
    # excepted); listed: only the centres listed below (and enabled).
    watch: Literal["all", "listed"] = "all"
    centres: dict[str, SiteCentre] = {}

    @model_validator(mode="after")
    def _document_ids_unique(self) -> SiteFile:
        seen: dict[str, str] = {}
        for cid, entry in self.centres.items():
            if entry.document_id is None:
                continue
            if entry.document_id in seen:
                raise ValueError(f"centres {seen[entry.document_id]} and {cid} have the same "
                                 f"document_id {entry.document_id!r}")
            seen[entry.document_id] = cid
        return self
