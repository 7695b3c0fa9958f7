"""The database schema: SQLAlchemy Core tables, the schema version and its migrations.

The tables below describe the current shape and are what queries use. A
database gets that shape only through `MIGRATIONS`: step n takes version n to
n + 1 and is frozen once released (it builds its own tables, never the ones
below), so an old database and a new one end up the same. `meta` holds the
version; `migrate` applies what is missing in one transaction.

Times are integer milliseconds since the Unix epoch (UTC) in BIGINT columns.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from metrics.store.dialects import writing

metadata = sa.MetaData()

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

centres = sa.Table(
    "centres",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),  # official ward/province code
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("province_code", sa.Integer, nullable=False),
    sa.Column("province_name", sa.Text, nullable=False),
    sa.Column("lat", sa.Double),
    sa.Column("lon", sa.Double),
    sa.Column("coords_approximate", sa.Boolean, nullable=False),
)

series = sa.Table(
    "series",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("centre_id", sa.String(16), sa.ForeignKey("centres.id"), nullable=False),
    sa.Column("metric", sa.Text, nullable=False),
    sa.Column("label", sa.Text, nullable=False),  # "" when the metric has no label
    sa.UniqueConstraint("centre_id", "metric", "label", name="uq_series_key"),
)

# The bulk of the data: (series, ts) is the key and the only index, so a range
# or a "newest at or before" for one series is one B-tree seek. WITHOUT ROWID
# on SQLite stores the rows in that index itself (no second copy of the key).
samples = sa.Table(
    "samples",
    metadata,
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
    sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Double, nullable=False),
    # PostgreSQL only (version 4): a BRIN index on time, a few pages for the whole table,
    # for fleet-wide time ranges (rows arrive in time order, so block ranges follow ts).
    sa.Index("ix_samples_ts_brin", "ts", postgresql_using="brin").ddl_if(dialect="postgresql"),
    sqlite_with_rowid=False,
)

polls = sa.Table(
    "polls",
    metadata,
    sa.Column("centre_id", sa.String(16), sa.ForeignKey("centres.id"), primary_key=True),
    sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("reason", sa.Text),  # metrics.results.Reason value, NULL when ok
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("http_status", sa.Integer),
    sa.Column("duration_s", sa.Double, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),  # count of values refused
    sa.Column("rejected_detail", sa.Text, nullable=False),  # one "field: why" per line
    # Version 12: the failure was seen again by the collector's confirmation re-probe.
    sa.Column("confirmed", sa.Boolean, nullable=False, server_default=sa.false()),
    # The whole fleet's polls in a time window (the dashboard's timelines).
    sa.Index("ix_polls_ts", "ts"),
)


# --- Alerting (version 3). The engine (metrics/alerts/) writes these; the
# dashboard reads them. One row per alert instance: an alert that resolves and
# fires again later is a new row with the same fingerprint.
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fingerprint", sa.Text, nullable=False),  # rule + identifying labels
    sa.Column("rule", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),  # critical | warning | info
    sa.Column("centre_id", sa.String(16)),  # NULL for province-wide or collector alerts
    sa.Column("province_code", sa.Integer),
    sa.Column("labels", sa.Text, nullable=False),  # JSON object of routing labels
    sa.Column("summary", sa.Text, nullable=False),  # rendered Vietnamese summary
    sa.Column("cause", sa.Text, nullable=False),  # what was observed (reason, value)
    sa.Column("value", sa.Double),
    sa.Column("state", sa.Text, nullable=False),  # pending | firing | resolved
    sa.Column("pending_since", sa.BigInteger, nullable=False),
    sa.Column("firing_since", sa.BigInteger),
    sa.Column("resolved_at", sa.BigInteger),
    sa.Column("last_eval", sa.BigInteger, nullable=False),
    sa.Column("last_notified", sa.BigInteger),
    sa.Column("acked_by", sa.Text),
    sa.Column("acked_at", sa.BigInteger),
    sa.Column("ack_note", sa.Text),
    sa.Column("inhibited_by", sa.Text),  # fingerprint of the alert that mutes this one
    # Version 11: JSON of the figures the summary and cause were made from (rules.Hit.facts),
    # so the dashboard words them in the reader's language; NULL on older rows.
    sa.Column("facts", sa.Text),
    sa.Index("ix_alerts_state", "state"),
    sa.Index("ix_alerts_fp", "fingerprint"),
    sa.Index("ix_alerts_pending_since", "pending_since"),
    sa.Index("ix_alerts_centre_pending", "centre_id", "pending_since"),  # version 10
)

# Everything that happened to an alert, for its timeline and the audit trail.
alert_events = sa.Table(
    "alert_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), nullable=False),
    sa.Column("ts", sa.BigInteger, nullable=False),
    # pending | firing | resolved | acknowledged | unacknowledged | silenced |
    # inhibited | notified | notify_failed | reminded
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),  # "engine" or a user name
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("ix_alert_events_alert", "alert_id", "ts"),
    sa.Index("ix_alert_events_ts", "ts"),
)

silences = sa.Table(
    "silences",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("matchers", sa.Text, nullable=False),  # JSON: {"rule":…, "centre_id":…, "labels":{…}}
    sa.Column("starts_at", sa.BigInteger, nullable=False),
    sa.Column("ends_at", sa.BigInteger, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("cancelled_at", sa.BigInteger),
    sa.Column("cancelled_by", sa.Text),
)

# The outbox: every notification to send, kept until delivered (never dropped).
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.Text, nullable=False),  # a channel name from config/alerts.yaml
    sa.Column("group_key", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # firing | resolved | reminder
    sa.Column("payload", sa.Text, nullable=False),  # JSON of the message to send
    sa.Column("state", sa.Text, nullable=False),  # pending | sent | retrying
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt", sa.BigInteger, nullable=False),
    sa.Column("last_error", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("sent_at", sa.BigInteger),
    sa.Index("ix_notifications_due", "state", "next_attempt"),
)



# --- Roll-ups (version 4; metrics/store/rollups.py maintains them in Store.write). One row
# per series and bucket [ts, ts + width): count, sum, min, max, first and last
# sample, and the counter increase between the bucket's own consecutive samples
# (NULL only inside a write, while a bucket awaits recomputation).
def _rollup(name: str, md: sa.MetaData) -> sa.Table:
    return sa.Table(
        name,
        md,
        sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),  # bucket start
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("sum_value", sa.Double, nullable=False),
        sa.Column("min_value", sa.Double, nullable=False),
        sa.Column("max_value", sa.Double, nullable=False),
        sa.Column("first_ts", sa.BigInteger, nullable=False),
        sa.Column("first_value", sa.Double, nullable=False),
        sa.Column("last_ts", sa.BigInteger, nullable=False),
        sa.Column("last_value", sa.Double, nullable=False),
        sa.Column("inc_within", sa.Double),
        # SQLite finds unmerged buckets here; PostgreSQL through RETURNING instead, so
        # that its updates stay HOT (no indexed column changes; fillfactor 70 leaves room).
        sa.Index(f"ix_{name}_unmerged", "series_id", "ts",
                 sqlite_where=sa.text("inc_within IS NULL")).ddl_if(dialect="sqlite"),
        sa.Index(f"ix_{name}_ts_brin", "ts", postgresql_using="brin").ddl_if(
            dialect="postgresql"),
        sqlite_with_rowid=False,
    )


rollup_5m = _rollup("rollup_5m", metadata)
rollup_1h = _rollup("rollup_1h", metadata)
# Version 7: one bucket per series and local day in Asia/Ho_Chi_Minh (starts 17:00 UTC),
# the KPI periods' sums (metrics/store/rollups.py).
rollup_1d = _rollup("rollup_1d", metadata)
# Version 10 (PostgreSQL): the daily reads (KPI periods, today's counters) walk each
# series' days from this index alone (an index-only scan), instead of one heap page per
# row: days are written in time order, so a series' days lie on as many pages.
DAILY_COVER = ("inc_within", "first_value", "last_value", "last_ts")
sa.Index("ix_rollup_1d_cover", rollup_1d.c.series_id, rollup_1d.c.ts,
         postgresql_include=list(DAILY_COVER)).ddl_if(dialect="postgresql")

# --- Current state (version 7; metrics/store/current.py keeps it in Store.write). The newest
# stored sample of each series: the live `Store.latest` reads it instead of one seek per
# series. It only ever moves forward in time; retention drops rows as old as raw samples.
series_latest = sa.Table(
    "series_latest",
    metadata,
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sqlite_with_rowid=False,
)

# --- Collector leases (version 5; collectors/leases.py). One row per cell of the fleet
# ("p46/s1of2": a province's shard) or claim ("claim:p46/s1of2"): who polls it, until when.
collector_leases = sa.Table(
    "collector_leases",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(128), nullable=False),  # host:pid:nonce of a collector
    sa.Column("expires_at", sa.BigInteger, nullable=False),  # ms, the database's clock
)

# --- Access (version 6; metrics/access/audit.py, metrics/access/kiosk.py). Who signed in,
# acted on an alert or changed an account or a kiosk link; and the read-only links for wall displays
# (only a SHA-256 of each token is kept: the token itself is shown once, at creation).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ts", sa.BigInteger, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),  # user name, "kiosk:<id>" or "cli:<os user>"
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),  # metrics.access.audit.ACTIONS
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("target", sa.Text, nullable=False),  # alert id, user name, kiosk link id, …
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("ix_audit_log_ts", "ts"),
)

kiosk_links = sa.Table(
    "kiosk_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # hex SHA-256
    sa.Column("label", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),  # config.scope.Scope text
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("revoked_at", sa.BigInteger),
    sa.Column("revoked_by", sa.Text),
)

def _v1_tables(conn: Connection) -> None:
    """Version 1: centres, series, samples, polls (without rejection details), meta."""
    md = sa.MetaData()
    sa.Table(
        "meta",
        md,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    sa.Table(
        "centres",
        md,
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("province_code", sa.Integer, nullable=False),
        sa.Column("province_name", sa.Text, nullable=False),
        sa.Column("lat", sa.Double),
        sa.Column("lon", sa.Double),
        sa.Column("coords_approximate", sa.Boolean, nullable=False),
    )
    sa.Table(
        "series",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("centre_id", sa.String(16), sa.ForeignKey("centres.id"), nullable=False),
        sa.Column("metric", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.UniqueConstraint("centre_id", "metric", "label", name="uq_series_key"),
    )
    sa.Table(
        "samples",
        md,
        sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("value", sa.Double, nullable=False),
        sqlite_with_rowid=False,
    )
    sa.Table(
        "polls",
        md,
        sa.Column("centre_id", sa.String(16), sa.ForeignKey("centres.id"), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("http_status", sa.Integer),
        sa.Column("duration_s", sa.Double, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
    )
    md.create_all(conn)


def _v2_rejections_and_time_index(conn: Connection) -> None:
    """Version 2: what a centre sent that validation refused; polls indexed by time."""
    conn.execute(sa.text("ALTER TABLE polls ADD COLUMN rejected_detail TEXT NOT NULL DEFAULT ''"))
    conn.execute(sa.text("CREATE INDEX ix_polls_ts ON polls (ts)"))


def _v3_alerting(conn: Connection) -> None:
    """Version 3: alerts, their events, silences and the notification outbox.

    Copies the tables above as they stand at version 3; a later change to them
    is a new migration step, and this one must then spell out its own copy.
    """
    md = sa.MetaData()
    for table in (alert_events, silences, notifications):
        table.to_metadata(md)
    # alerts as at version 3: its columns without those later steps add (facts, version 11).
    later = {"facts"}
    sa.Table("alerts", md,
             *(sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable,
                         autoincrement=c.autoincrement)
               for c in alerts.columns if c.name not in later),
             *(sa.Index(i.name, *(c.name for c in i.columns)) for i in alerts.indexes))
    md.create_all(conn)


def _v4_rollups(conn: Connection) -> None:
    """Version 4: 5-minute and hourly roll-ups; on PostgreSQL, BRIN indexes on time.

    Spells out its own copy of the roll-up tables (frozen, like `_v1_tables`) and fills
    them from the samples already stored, so a migrated database keeps its history.
    """
    md = sa.MetaData()
    sa.Table("series", md, sa.Column("id", sa.Integer, primary_key=True))  # for the FKs
    made = [
        sa.Table(
            name,
            md,
            sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
            sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("n", sa.Integer, nullable=False),
            sa.Column("sum_value", sa.Double, nullable=False),
            sa.Column("min_value", sa.Double, nullable=False),
            sa.Column("max_value", sa.Double, nullable=False),
            sa.Column("first_ts", sa.BigInteger, nullable=False),
            sa.Column("first_value", sa.Double, nullable=False),
            sa.Column("last_ts", sa.BigInteger, nullable=False),
            sa.Column("last_value", sa.Double, nullable=False),
            sa.Column("inc_within", sa.Double),
            sa.Index(f"ix_{name}_unmerged", "series_id", "ts",
                     sqlite_where=sa.text("inc_within IS NULL")).ddl_if(dialect="sqlite"),
            sa.Index(f"ix_{name}_ts_brin", "ts", postgresql_using="brin").ddl_if(
                dialect="postgresql"),
            sqlite_with_rowid=False,
        )
        for name in ("rollup_5m", "rollup_1h")
    ]
    md.create_all(conn, tables=made)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("CREATE INDEX ix_samples_ts_brin ON samples USING brin (ts)"))
        for table in made:
            conn.execute(sa.text(f"ALTER TABLE {table.name} SET (fillfactor = 70)"))
    _v4_fill_rollups(conn)


def _v4_fill_rollups(conn: Connection) -> None:
    """Roll-ups of the samples already stored, one SQL pass per table (no Python loop)."""
    w5, w1 = 300_000, 3_600_000
    for name, width in (("rollup_5m", w5), ("rollup_1h", w1)):
        conn.execute(sa.text(f"""
            INSERT INTO {name} (series_id, ts, n, sum_value, min_value, max_value,
                                first_ts, first_value, last_ts, last_value, inc_within)
            SELECT series_id, b, count(*), sum(value), min(value), max(value),
                   min(ts), max(CASE WHEN rn = 1 THEN value END),
                   max(ts), max(CASE WHEN rd = 1 THEN value END),
                   sum(CASE WHEN prev IS NULL THEN 0.0 WHEN value >= prev THEN value - prev
                            ELSE value END)
            FROM (SELECT series_id, ts, value, ts - ts % {width} AS b,
                         lag(value) OVER w AS prev,
                         row_number() OVER w AS rn,
                         row_number() OVER (PARTITION BY series_id, ts - ts % {width}
                                            ORDER BY ts DESC) AS rd
                  FROM samples
                  WINDOW w AS (PARTITION BY series_id, ts - ts % {width} ORDER BY ts)) AS x
            GROUP BY series_id, b"""))


def _v5_collector_leases(conn: Connection) -> None:
    """Version 5: the leases several collectors share the fleet by (frozen copy)."""
    md = sa.MetaData()
    sa.Table(
        "collector_leases",
        md,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    md.create_all(conn)


def _v6_access(conn: Connection) -> None:
    """Version 6: the audit log and the kiosk links (frozen copies)."""
    md = sa.MetaData()
    sa.Table(
        "audit_log",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Index("ix_audit_log_ts", "ts"),
    )
    sa.Table(
        "kiosk_links",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
        sa.Column("revoked_by", sa.Text),
    )
    md.create_all(conn)


def _v7_daily_and_current(conn: Connection) -> None:
    """Version 7: daily roll-ups (local days in Asia/Ho_Chi_Minh) and the newest sample of
    each series (frozen copies), both filled from what is already stored."""
    md = sa.MetaData()
    sa.Table("series", md, sa.Column("id", sa.Integer, primary_key=True))  # for the FKs
    daily = sa.Table(
        "rollup_1d",
        md,
        sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
        sa.Column("ts", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("sum_value", sa.Double, nullable=False),
        sa.Column("min_value", sa.Double, nullable=False),
        sa.Column("max_value", sa.Double, nullable=False),
        sa.Column("first_ts", sa.BigInteger, nullable=False),
        sa.Column("first_value", sa.Double, nullable=False),
        sa.Column("last_ts", sa.BigInteger, nullable=False),
        sa.Column("last_value", sa.Double, nullable=False),
        sa.Column("inc_within", sa.Double),
        sa.Index("ix_rollup_1d_unmerged", "series_id", "ts",
                 sqlite_where=sa.text("inc_within IS NULL")).ddl_if(dialect="sqlite"),
        sa.Index("ix_rollup_1d_ts_brin", "ts", postgresql_using="brin").ddl_if(
            dialect="postgresql"),
        sqlite_with_rowid=False,
    )
    latest = sa.Table(
        "series_latest",
        md,
        sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Double, nullable=False),
        sqlite_with_rowid=False,
    )
    md.create_all(conn, tables=[daily, latest])
    if conn.dialect.name == "postgresql":
        # Every write updates a day bucket and each series' row: leave room for HOT updates.
        conn.execute(sa.text("ALTER TABLE rollup_1d SET (fillfactor = 70)"))
        conn.execute(sa.text("ALTER TABLE series_latest SET (fillfactor = 50)"))
    _v7_fill_latest(conn)
    _v7_fill_daily(conn)


def _v7_fill_latest(conn: Connection) -> None:
    """The newest sample of every series: one primary-key seek per series, no scan."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("""
            INSERT INTO series_latest (series_id, ts, value)
            SELECT s.id, x.ts, x.value FROM series s CROSS JOIN LATERAL (
                SELECT ts, value FROM samples WHERE series_id = s.id
                ORDER BY ts DESC LIMIT 1) AS x"""))
        return
    conn.execute(sa.text("""
        INSERT INTO series_latest (series_id, ts, value)
        SELECT m.id, m.ts, x.value
        FROM (SELECT s.id, (SELECT max(ts) FROM samples WHERE series_id = s.id) AS ts
              FROM series s) AS m
        JOIN samples x ON x.series_id = m.id AND x.ts = m.ts"""))


V7_DAY_MS = 86_400_000
V7_LOCAL_OFFSET_MS = 25_200_000  # Asia/Ho_Chi_Minh, UTC+7: local midnight is 17:00 UTC
V7_SERIES_CHUNK = 1_000  # series per statement: a bounded sort, never the whole table


def _v7_fill_daily(conn: Connection) -> None:
    """Daily buckets combined from the hourly ones (as `rollups.combine` would), a chunk of
    series at a time, in SQL: each hour's window neighbours say whether it opens or
    closes its day, and the step from the previous hour of the same day is added."""
    lo, hi = conn.execute(sa.text("SELECT min(series_id), max(series_id) FROM rollup_1h")).one()
    if lo is None:
        return
    day, off = V7_DAY_MS, V7_LOCAL_OFFSET_MS
    opens = "(prev_ts IS NULL OR prev_ts < d)"
    step = "(CASE WHEN first_value >= prev THEN first_value - prev ELSE first_value END)"
    sql = sa.text(f"""
        INSERT INTO rollup_1d (series_id, ts, n, sum_value, min_value, max_value,
                               first_ts, first_value, last_ts, last_value, inc_within)
        SELECT series_id, d, sum(n), sum(sum_value), min(min_value), max(max_value),
               min(first_ts), max(CASE WHEN {opens} THEN first_value END),
               max(last_ts), max(CASE WHEN next_ts IS NULL OR next_ts >= d + {day}
                                      THEN last_value END),
               sum(inc_within + CASE WHEN {opens} THEN 0.0 ELSE {step} END)
        FROM (SELECT series_id, ts, n, sum_value, min_value, max_value, first_ts,
                     first_value, last_ts, last_value, inc_within,
                     ts - (ts + {off}) % {day} AS d,
                     lag(ts) OVER w AS prev_ts, lag(last_value) OVER w AS prev,
                     lead(ts) OVER w AS next_ts
              FROM rollup_1h WHERE series_id >= :lo AND series_id < :hi
              WINDOW w AS (PARTITION BY series_id ORDER BY ts)) AS x
        GROUP BY series_id, d""")
    for start in range(int(lo), int(hi) + 1, V7_SERIES_CHUNK):
        conn.execute(sql, {"lo": start, "hi": start + V7_SERIES_CHUNK})


# --- Collection gaps (version 8; collectors/gaps.py records them, metrics/store/gaps.py reads
# them). One row per contiguous run of cycles a collector polled but could not keep (reason
# `spool_full`: refused at the spool's bound while the database was unreachable). Written
# idempotently on (collector, start_ts), so a record replayed after a crash lands once.
collection_gaps = sa.Table(
    "collection_gaps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("collector", sa.String(128), nullable=False),  # "" or e.g. "shard-1of2"
    sa.Column("start_ts", sa.BigInteger, nullable=False),  # the first lost poll (ms)
    sa.Column("end_ts", sa.BigInteger, nullable=False),  # the last lost poll (ms)
    sa.Column("cycles", sa.Integer, nullable=False),
    sa.Column("centres", sa.Text, nullable=False),  # the cycles' centre ids, comma-separated
    sa.Column("reason", sa.Text, nullable=False),  # a code: spool_full
    sa.Column("detail", sa.Text, nullable=False),  # JSON: polls, spool_bytes, max_bytes
    sa.UniqueConstraint("collector", "start_ts", name="uq_collection_gaps_start"),
    sa.Index("ix_collection_gaps_end", "end_ts"),
)


def _v8_collection_gaps(conn: Connection) -> None:
    """Version 8: the collectors' dropped stretches (frozen copy)."""
    md = sa.MetaData()
    sa.Table(
        "collection_gaps",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("collector", sa.String(128), nullable=False),
        sa.Column("start_ts", sa.BigInteger, nullable=False),
        sa.Column("end_ts", sa.BigInteger, nullable=False),
        sa.Column("cycles", sa.Integer, nullable=False),
        sa.Column("centres", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.UniqueConstraint("collector", "start_ts", name="uq_collection_gaps_start"),
        sa.Index("ix_collection_gaps_end", "end_ts"),
    )
    md.create_all(conn)


# --- Sign-in sessions (version 9; metrics/access/sessions.py). One row per local sign-in: the
# browser's cookie holds a random token, this table only its SHA-256 (docs/security.md).
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # hex SHA-256
    sa.Column("username", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),  # as signed in with: a change ends it
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("credential_stamp", sa.String(64), nullable=False),  # SHA-256 of the pw hash
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.Column("last_seen", sa.BigInteger, nullable=False),
    sa.Column("revoked_at", sa.BigInteger),  # NULL while not revoked
    sa.Column("revoked_by", sa.Text),
    sa.Index("ix_web_sessions_user", "username"),
    sa.Index("ix_web_sessions_expires", "expires_at"),
)


def _v9_web_sessions(conn: Connection) -> None:
    """Version 9: local sign-in sessions (frozen copy)."""
    md = sa.MetaData()
    sa.Table(
        "web_sessions",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("credential_stamp", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("last_seen", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.BigInteger),
        sa.Column("revoked_by", sa.Text),
        sa.Index("ix_web_sessions_user", "username"),
        sa.Index("ix_web_sessions_expires", "expires_at"),
    )
    md.create_all(conn)


def _v10_read_indexes(conn: Connection) -> None:
    """Version 10: a covering index for the daily reads (PostgreSQL) and alerts by centre
    and time (a province's alert history)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(
            "CREATE INDEX IF NOT EXISTS ix_rollup_1d_cover ON rollup_1d (series_id, ts) "
            f"INCLUDE ({', '.join(DAILY_COVER)})"))
    conn.execute(sa.text(
        "CREATE INDEX IF NOT EXISTS ix_alerts_centre_pending ON alerts (centre_id, pending_since)"))


def _v11_alert_facts(conn: Connection) -> None:
    """Version 11: alerts.facts, the structured figures behind an alert's words (added only
    where it is missing: a table rebuilt from the current shape already has it)."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns("alerts")}
    if "facts" not in columns:
        conn.execute(sa.text("ALTER TABLE alerts ADD COLUMN facts TEXT"))


V12_MARK = "[confirmed by re-probe]"  # what the collector appended to a confirmed detail
V12_BACKFILL_MS = 86_400_000  # the last day of polls: far more than any alert window


def _v12_poll_confirmed(conn: Connection) -> None:
    """Version 12: polls.confirmed, whether the collector's re-probe saw the failure again.
    Failed polls of the newest day whose detail carries the re-probe's mark get true (one
    seek of the time index, so the alert windows open at the upgrade keep their
    confirmations); older ones stay false, their detail still saying it."""
    columns = {c["name"] for c in sa.inspect(conn).get_columns("polls")}
    if "confirmed" in columns:
        return
    conn.execute(sa.text("ALTER TABLE polls ADD COLUMN confirmed BOOLEAN NOT NULL DEFAULT false"))
    newest = conn.execute(sa.text("SELECT max(ts) FROM polls")).scalar()
    if newest is not None:
        conn.execute(sa.text("UPDATE polls SET confirmed = true WHERE ts >= :since "
                             "AND NOT ok AND detail LIKE :mark"),
                     {"since": int(newest) - V12_BACKFILL_MS, "mark": f"%{V12_MARK}%"})


# --- Assignments (version 13; metrics/alerts/assignments_store.py). The conference's follow-up
# loop: an incident (an alert) or a lagging commune assigned to a responsible unit
# (config/alerts.yaml `assignments.units`) with a due time and a note; closed by a person;
# escalated once to the unit's channel when still open at its due time.
assignments = sa.Table(
    "assignments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id")),  # an incident, or NULL
    sa.Column("centre_id", sa.String(16)),  # the commune; NULL for a province-wide incident
    sa.Column("province_code", sa.Integer),
    sa.Column("unit", sa.Text, nullable=False),  # a key of assignments.units
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("due_at", sa.BigInteger, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("closed_at", sa.BigInteger),  # NULL while open
    sa.Column("closed_by", sa.Text),
    sa.Column("close_note", sa.Text),
    sa.Column("escalated_at", sa.BigInteger),  # when the overdue notice was queued (once)
    sa.Index("ix_assignments_created", "created_at"),
    sa.Index("ix_assignments_open", "closed_at", "due_at"),
    sa.Index("ix_assignments_centre", "centre_id", "created_at"),
)


def _v13_assignments(conn: Connection) -> None:
    """Version 13: the conference's assignments (frozen copy)."""
    md = sa.MetaData()
    sa.Table("alerts", md, sa.Column("id", sa.Integer, primary_key=True))  # for the FK
    table = sa.Table(
        "assignments",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id")),
        sa.Column("centre_id", sa.String(16)),
        sa.Column("province_code", sa.Integer),
        sa.Column("unit", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("due_at", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("closed_at", sa.BigInteger),
        sa.Column("closed_by", sa.Text),
        sa.Column("close_note", sa.Text),
        sa.Column("escalated_at", sa.BigInteger),
        sa.Index("ix_assignments_created", "created_at"),
        sa.Index("ix_assignments_open", "closed_at", "due_at"),
        sa.Index("ix_assignments_centre", "centre_id", "created_at"),
    )
    md.create_all(conn, tables=[table])


MIGRATIONS: list[Callable[[Connection], None]] = [
    _v1_tables,
    _v2_rejections_and_time_index,
    _v3_alerting,
    _v4_rollups,
    _v5_collector_leases,
    _v6_access,
    _v7_daily_and_current,
    _v8_collection_gaps,
    _v9_web_sessions,
    _v10_read_indexes,
    _v11_alert_facts,
    _v12_poll_confirmed,
    _v13_assignments,
]
SCHEMA_VERSION = len(MIGRATIONS)
VERSION_KEY = "schema_version"


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer release than this code."""


def current_version(conn: Connection) -> int:
    """The database's schema version; 0 for an empty database."""
    if not sa.inspect(conn).has_table("meta"):
        return 0
    value = conn.execute(
        sa.select(meta.c.value).where(meta.c.key == VERSION_KEY)
    ).scalar_one_or_none()
    return int(value) if value is not None else 0


def _lock(conn: Connection) -> None:
    """Serialise concurrent migrators (collector, backfill and dashboard may start together).

    SQLite: the caller's transaction began IMMEDIATE, which already holds the
    write lock. PostgreSQL: a transaction-scoped advisory lock.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(7660766)"))


def migrate(engine: Engine, target: int = SCHEMA_VERSION) -> int:
    """Apply the missing migrations up to `target` in one transaction; return the version.

    Raises SchemaTooNewError when the database is newer than this code knows.
    """
    if not 0 <= target <= SCHEMA_VERSION:
        raise ValueError(f"target version must be 0..{SCHEMA_VERSION}, not {target}")
    with writing(engine) as conn:
        _lock(conn)
        version = current_version(conn)
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(
                f"database schema version {version} is newer than this code's "
                f"{SCHEMA_VERSION}; upgrade the product before opening it"
            )
        for step in MIGRATIONS[version:target]:
            step(conn)
        if target > version:
            conn.execute(meta.delete().where(meta.c.key == VERSION_KEY))
            conn.execute(meta.insert().values(key=VERSION_KEY, value=str(target)))
        return max(version, target)
