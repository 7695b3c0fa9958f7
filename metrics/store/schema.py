"""The database schema: SQLAlchemy Core tables, the current shape that queries use.

A database gets this shape only through the migrations (metrics/store/migrations/, one
module per version, frozen once released), so an old database and a new one end up the
same; the store contract test checks that both have exactly these columns.

Times are integer milliseconds since the Unix epoch (UTC) in BIGINT columns.
"""

from __future__ import annotations

import sqlalchemy as sa

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

# --- Collector leases (version 5; collectors/polling/leases.py). One row per cell of the fleet
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


# --- Collection gaps (version 8; collectors/writing/gaps.py records them, metrics/store/gaps.py
# reads them). One row per contiguous run of cycles a collector polled but could not keep (reason
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
