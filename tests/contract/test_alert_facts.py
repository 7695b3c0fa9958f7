"""An alert keeps the figures its words were made from (`alerts.facts`, schema 11), on
SQLite and PostgreSQL: the dashboard words it again in the reader's language."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from dashboard import i18n
from dashboard.views import alert_text
from metrics.alerts.engine import AlertEngine
from metrics.alerts.read import alerts
from tests.contract.test_alert_engine import CENTRES, DOWN, T0, Clock, config, poll


def test_engine_stores_an_alerts_facts_and_the_dashboard_words_them_in_english(store):
    store.sync_centres(CENTRES)
    poll(store, T0 - 10, down=True)
    poll(store, T0 - 5, down=True)
    AlertEngine(store, config("http://127.0.0.1:9/"), clock=Clock(T0), env={}).evaluate()
    at = datetime.fromtimestamp(T0, UTC)
    (row,) = alerts(store, at - timedelta(minutes=5), at).iter_rows(named=True)
    facts = json.loads(row["facts"])
    assert facts["kind"] == "failed_polls" and facts["reason"] == "timeout"
    assert facts["failures"] == 2 and facts["centre_name"] == CENTRES[0].name
    assert row["centre_id"] == DOWN and "không phản hồi" in row["summary"]  # stored: Vietnamese
    english = alert_text.summary(row, i18n.text("en"))
    assert english.startswith(f"{CENTRES[0].name} (Thành phố Huế) is down: no answer")
