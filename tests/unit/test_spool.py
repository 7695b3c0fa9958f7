"""The collector's spool (collectors/writing/spool.py): format, bound, order, corrupt files,
atomicity."""

from __future__ import annotations

import json
import logging
import os

import pytest
import sqlalchemy as sa

from collectors.writing.spool import (
    CORRUPT_DIR,
    TMP,
    Spool,
    SpoolError,
    decode,
    encode,
    write_atomic,
)
from metrics.results import ProbeResult, Reason, Sample


def result(cid: str, ts: float, ok: bool = True) -> ProbeResult:
    if ok:
        return ProbeResult(cid, ts, True, 0.05, None, "", 200,
                           [Sample("up", 1.0), Sample("dossiers_received_by_procedure_total",
                                                      12.0, "ho_tich")], ["otp.x: bad"])
    return ProbeResult(cid, ts, False, 3.0, Reason.TIMEOUT, "read timeout [confirmed]", None,
                       [Sample("up", 0.0)], [], True)


def cycle(k: int, n: int = 3) -> list[ProbeResult]:
    return [result(f"c{i}", 1000.0 + k, ok=i != 1) for i in range(n)]


def test_encode_and_decode_give_back_every_field():
    rs = cycle(0)
    assert decode(encode(rs), "x") == rs


@pytest.mark.parametrize(("data", "match"), [
    (b"", "line 1 is not a spool header"),
    (b'{"spool": 1, "results": 2}\n{}\n', "announces 2 results, the file has 1"),
    (b'{"spool": 1, "results": 1}\n{"centre_id": "a"}\n', "line 2: centre_id, ts"),
    (b'{"spool": 1, "results": 1}\n{"centre_id": "a", "ts": 1, "ok": true, "duration_s": 0,'
     b' "samples": [["up", NaN, ""]]}\n', "line 2: samples"),
    (b'{"spool": 1, "results": 1}\n{"centre_id": "a", "ts": 1, "ok": true, "duration_s": 0,'
     b' "samples": [], "reason": "nope"}\n', "line 2: 'nope'"),
    (b'{"spool": 1, "results": 1}\n{"centre_id": \n', "line 2"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_decode_names_the_file_and_the_line_when_unreadable(data, match):
    with pytest.raises(SpoolError, match=match) as err:
        decode(data, "/spool/cycle-1.jsonl")
    assert str(err.value).startswith("/spool/cycle-1.jsonl")


def test_replay_writes_cycles_oldest_first_and_deletes_them(tmp_path):
    clock = iter(range(100, 200)).__next__
    spool = Spool(tmp_path, 1 << 20, clock=lambda: float(clock()))
    for k in range(5):
        spool.put(cycle(k))
    written: list[float] = []

    assert spool.replay(lambda rs: written.append(rs[0].ts) or len(rs)) == (5, 15)

    assert written == [1000.0, 1001.0, 1002.0, 1003.0, 1004.0]
    assert spool.files() == [] and spool.bytes == 0 and spool.counters.replayed_cycles == 5


def test_spool_survives_a_restart_and_replays_what_the_last_process_left(tmp_path):
    first = Spool(tmp_path, 1 << 20)
    first.put(cycle(0))
    first.put(cycle(1))
    first.close()
    (tmp_path / f"{TMP}cycle-9.jsonl").write_bytes(b'{"spool": 1, "res')  # crash mid-write

    again = Spool(tmp_path, 1 << 20)

    assert len(again) == 2 and again.bytes == sum(p.stat().st_size for p in again.files())
    assert not list(tmp_path.glob(TMP + "*"))
    got: list[list[ProbeResult]] = []
    again.replay(lambda rs: got.append(rs) or 0)
    assert got == [cycle(0), cycle(1)]


def test_spool_keeps_the_oldest_and_refuses_the_newest_beyond_the_bound(tmp_path, caplog):
    one = len(encode(cycle(0)))
    spool = Spool(tmp_path, 3 * one + one // 2)
    with caplog.at_level(logging.ERROR, "ioc.collector"):
        kept = [spool.put(cycle(k)) for k in range(5)]

    assert [p is not None for p in kept] == [True, True, True, False, False]
    assert spool.counters.dropped_cycles == 2 and spool.counters.dropped_results == 6
    assert spool.bytes <= spool.max_bytes
    # One line when the spool starts refusing, not one per refused cycle (issue 22).
    full = [json.loads(r.message) for r in caplog.records if "spool_full" in r.message]
    assert len(full) == 1 and full[0]["dropped_cycles_total"] == 1
    got: list[float] = []
    spool.replay(lambda rs: got.append(rs[0].ts) or 0)
    assert got == [1000.0, 1001.0, 1002.0]  # nothing within the bound lost, in order


def test_a_corrupt_file_is_moved_aside_with_its_name_and_the_rest_replays(tmp_path, caplog):
    spool = Spool(tmp_path, 1 << 20)
    paths = [spool.put(cycle(k)) for k in range(3)]
    paths[1].write_bytes(paths[1].read_bytes()[:-20])  # damaged on disk
    got: list[float] = []

    with caplog.at_level(logging.ERROR, "ioc.collector"):
        assert spool.replay(lambda rs: got.append(rs[0].ts) or 0)[0] == 2

    assert got == [1000.0, 1002.0]
    assert (tmp_path / CORRUPT_DIR / paths[1].name).exists()
    assert any(paths[1].name in r.message for r in caplog.records)
    assert spool.counters.corrupt_files == 1 and spool.files() == []


def test_a_database_error_stops_the_replay_and_keeps_the_file_for_next_time(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    for k in range(3):
        spool.put(cycle(k))
    calls = []

    def flaky(rs):
        calls.append(rs[0].ts)
        if len(calls) == 2:
            raise sa.exc.OperationalError("INSERT", {}, ConnectionRefusedError())
        return 1

    with pytest.raises(sa.exc.OperationalError):
        spool.replay(flaky)
    assert len(spool) == 2
    assert spool.replay(lambda rs: calls.append(rs[0].ts) or 1) == (2, 2)
    assert calls == [1000.0, 1001.0, 1001.0, 1002.0]


def test_replay_stops_at_its_budget_after_at_least_one_file(tmp_path):
    spool = Spool(tmp_path, 1 << 20)
    for k in range(4):
        spool.put(cycle(k))
    ticks = iter([0.0, 5.0, 10.0, 15.0]).__next__
    assert spool.replay(lambda rs: 0, budget_s=1.0, clock=ticks) == (1, 0)
    assert len(spool) == 3


def test_write_atomic_leaves_the_old_file_whole_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "cycle-1.jsonl"
    write_atomic(target, b"old\n")

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new\n")
    assert target.read_bytes() == b"old\n"


def test_a_second_collector_cannot_share_the_spool_folder(tmp_path):
    first = Spool(tmp_path, 1 << 20)
    with pytest.raises(SpoolError, match="in use by another collector"):
        Spool(tmp_path, 1 << 20)
    first.close()
    Spool(tmp_path, 1 << 20).close()


def test_spool_says_once_when_it_starts_refusing_and_once_when_it_takes_cycles_again(
        tmp_path, caplog):
    one = len(encode(cycle(0)))
    spool = Spool(tmp_path, 2 * one)
    with caplog.at_level(logging.WARNING, "ioc.collector"):
        for k in range(6):  # 0, 1 kept; 2…5 refused at the bound
            spool.put(cycle(k))
        spool.replay(lambda rs: 0)  # the database is back: room again
        for k in range(6, 8):
            spool.put(cycle(k))
    said = [json.loads(r.message)["event"] for r in caplog.records if r.message.startswith("{")]
    assert said == ["spool_full", "spool_accepting"]
    assert spool.counters.dropped_cycles == 4 and len(spool) == 2


def test_spool_whose_folder_cannot_be_made_refuses_as_unwritable_and_recovers(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the spool's parent should be")
    spool = Spool(blocker / "spool", 1 << 20)  # never raises: the collector must start
    assert spool.problem is not None and "not-a-folder" in spool.problem
    assert spool.put(cycle(0)) is None
    assert spool.refusal is not None and spool.refusal[0] == "spool_unwritable"
    blocker.unlink()  # the operator fixes it: the next cycle spools
    assert spool.put(cycle(1)) is not None and len(spool) == 1
    got: list[float] = []
    spool.replay(lambda rs: got.append(rs[0].ts) or 0)
    assert got == [1001.0]


def test_spool_folder_deleted_under_a_running_collector_is_made_again(tmp_path):
    folder = tmp_path / "spool"
    spool = Spool(folder, 1 << 20)
    spool.put(cycle(0))
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    assert spool.put(cycle(1)) is None and spool.refusal[0] == "spool_unwritable"
    assert spool.put(cycle(2)) is not None  # made again; what was deleted is gone
    got: list[float] = []
    spool.replay(lambda rs: got.append(rs[0].ts) or 0)
    assert got == [1002.0] and len(spool) == 0
