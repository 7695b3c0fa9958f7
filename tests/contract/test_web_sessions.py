"""Sign-in sessions in the store (metrics/access/sessions.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from config.scope import national, province
from metrics.access import sessions as web_sessions
from metrics.store import schema as t

NOW = 1_750_000_000_000
HOUR = 3_600_000
STAMP = "a" * 64
HUE = province(46)


def start(store, username="lan", now=NOW, hours=12.0, role="tech", scope=HUE):
    return web_sessions.create(store, username=username, role=role, scope=scope,
                               credential_stamp=STAMP, hours=hours, now=now)


def test_a_session_is_found_by_its_token_and_only_the_tokens_hash_is_stored(store):
    session, token = start(store)
    assert len(token) >= 43  # 32 random bytes, URL-safe
    found = web_sessions.find(store, token)
    assert found == session
    assert (found.username, found.role, found.scope, found.credential_stamp) == (
        "lan", "tech", province(46), STAMP)
    assert (found.created_at, found.expires_at, found.last_seen) == (NOW, NOW + 12 * HOUR, NOW)
    assert found.live(NOW + 12 * HOUR - 1) and not found.live(NOW + 12 * HOUR)
    with store.engine.connect() as conn:
        cells = [str(c) for row in conn.execute(sa.select(t.web_sessions)) for c in row]
    assert token not in " ".join(cells) and web_sessions.hash_token(token) in cells
    assert web_sessions.find_hash(store, session.token_hash) == session
    for wrong in (token + "x", "", "a" * 500, token[:-1]):
        assert web_sessions.find(store, wrong) is None


def test_two_sign_ins_are_two_sessions_with_their_own_tokens(store):
    (a, token_a), (b, token_b) = start(store), start(store)
    assert a.id != b.id and token_a != token_b and a.token_hash != b.token_hash
    assert web_sessions.revoke(store, a.id, by="lan", now=NOW + 1)
    assert not web_sessions.find(store, token_a).live(NOW + 2)
    assert web_sessions.find(store, token_b).live(NOW + 2)


def test_revoking_ends_a_session_once_and_records_who(store):
    session, token = start(store)
    assert web_sessions.revoke(store, session.id, by="lan", now=NOW + 5)
    assert not web_sessions.revoke(store, session.id, by="lan", now=NOW + 6)  # already
    ended = web_sessions.find(store, token)
    assert ended.revoked_at == NOW + 5 and not ended.live(NOW + 6)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(t.web_sessions.c.revoked_by)).scalar_one() == "lan"


def test_a_users_sessions_or_everyones_end_together_expired_ones_are_not_counted(store):
    lan = [start(store)[0] for _ in range(2)]
    minh = start(store, "minh", role="admin", scope=national())[0]
    old = start(store, "lan", now=NOW - 13 * HOUR)[0]  # expired an hour ago
    assert web_sessions.revoke_user(store, "lan", by="cli:root", now=NOW) == 2
    assert web_sessions.revoke_user(store, "lan", by="cli:root", now=NOW) == 0
    assert web_sessions.find_hash(store, old.token_hash).revoked_at is None  # it just expired
    assert all(not web_sessions.find_hash(store, s.token_hash).live(NOW) for s in lan)
    assert web_sessions.find_hash(store, minh.token_hash).live(NOW)
    assert web_sessions.active(store, now=NOW)["username"].to_list() == ["minh"]
    assert web_sessions.revoke_all(store, by="cli:root", now=NOW) == 1
    assert web_sessions.active(store, now=NOW).is_empty()


def test_last_seen_is_written_at_most_every_few_minutes(store):
    session, _ = start(store)
    step = web_sessions.TOUCH_EVERY_MS
    assert not web_sessions.touch(store, session, now=NOW + step - 1)
    assert web_sessions.touch(store, session, now=NOW + step)
    again = web_sessions.find_hash(store, session.token_hash)
    assert again.last_seen == NOW + step
    assert not web_sessions.touch(store, session, now=NOW + step + 1)  # another tab was first
    assert not web_sessions.touch(store, again, now=NOW + step + 1)


def test_active_lists_live_sessions_newest_first_without_hashes(store):
    start(store, "a", now=NOW - 2 * HOUR)
    start(store, "b", now=NOW - HOUR)
    gone, _ = start(store, "c", now=NOW - HOUR)
    web_sessions.revoke(store, gone.id, by="c", now=NOW - 1)
    start(store, "d", now=NOW - 13 * HOUR)  # expired
    listed = web_sessions.active(store, now=NOW)
    assert listed["username"].to_list() == ["b", "a"]
    assert list(listed.columns) == list(web_sessions.SCHEMA)
    assert listed.schema == web_sessions.SCHEMA


def test_a_new_sign_in_deletes_sessions_that_ended_over_a_week_ago(store):
    keep_ms = web_sessions.KEEP_ENDED_MS
    long_expired, _ = start(store, "a", now=NOW - keep_ms - 13 * HOUR)
    recently_expired, _ = start(store, "b", now=NOW - 13 * HOUR)
    long_revoked, _ = start(store, "c", now=NOW - keep_ms - 2 * HOUR, hours=720)
    web_sessions.revoke(store, long_revoked.id, by="c", now=NOW - keep_ms - HOUR)
    start(store, "d")
    kept = {s.username for s in (long_expired, recently_expired, long_revoked)
            if web_sessions.find_hash(store, s.token_hash) is not None}
    assert kept == {"b"}


def test_a_session_needs_a_positive_length(store):
    with pytest.raises(ValueError, match="hours"):
        start(store, hours=0)
    assert web_sessions.active(store, now=NOW).is_empty()
