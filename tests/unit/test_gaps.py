"""Dropped cycles into gaps (collectors/writing/gaps.py), their record on disk
(collectors/writing/droplog.py) and the gap rows as frames (metrics/store/gaps.py): the pure
parts and the file."""

from __future__ import annotations

import json

from collectors.writing.droplog import NAME, DropLog, decode, encode
from collectors.writing.gaps import Drop, merge
from metrics.store.gaps import SPOOL_FULL, SPOOL_UNWRITABLE, frame, visible

HUE = ("19753", "19756", "19759")
T_1002 = 1_751_511_720_000  # 10:02 on 3 July 2025, Huế time (03:02 UTC)


def drop(seq: int, run: str = "0000000001000-11", centres: tuple[str, ...] = HUE,
         spool_bytes: int = 350, t0: int = 1_000_000) -> Drop:
    start = t0 + seq * 2_000
    return Drop(run=run, seq=seq, start_ms=start, end_ms=start + 400, centres=centres,
                polls=len(centres), spool_bytes=spool_bytes, max_bytes=370)


def test_consecutive_cycles_of_one_run_make_one_gap_with_their_bounds_and_totals():
    [gap] = merge([drop(5), drop(6), drop(7, spool_bytes=360)])
    assert (gap.start_ms, gap.end_ms, gap.cycles) == (1_010_000, 1_014_400, 3)
    assert gap.centres == tuple(sorted(HUE)) and gap.reason == SPOOL_FULL
    assert gap.detail == {"polls": 9, "spool_bytes": 360, "max_bytes": 370}


def test_a_kept_cycle_between_drops_splits_the_gap():
    gaps = merge([drop(3), drop(4), drop(6)])  # cycle 5 was spooled or written
    assert [(g.cycles, g.start_ms) for g in gaps] == [(2, 1_006_000), (1, 1_012_000)]


def test_a_restart_starts_a_new_gap_even_when_the_cycle_numbers_follow_on():
    first, second = "0000000001000-11", "0000000009000-12"
    gaps = merge([drop(1, run=second, t0=2_000_000), drop(8, run=first), drop(9, run=first)])
    assert [(g.cycles, g.start_ms) for g in gaps] == [(2, 1_016_000), (1, 2_002_000)]


def test_a_drop_recorded_twice_counts_once_and_centres_are_the_union():
    gaps = merge([drop(1, centres=("a", "b")), drop(2, centres=("c",)), drop(2, centres=("c",))])
    assert len(gaps) == 1 and gaps[0].cycles == 2 and gaps[0].centres == ("a", "b", "c")
    assert merge([]) == []


def test_a_record_line_leaves_out_centres_the_line_before_had():
    lines = [encode(drop(1), None), encode(drop(2), HUE), encode(drop(3, centres=("x",)), HUE)]
    objs = [json.loads(x) for x in lines]
    assert "centres" in objs[0] and "centres" not in objs[1] and objs[2]["centres"] == ["x"]
    assert decode(b"".join(lines)) == [drop(1), drop(2), drop(3, centres=("x",))]


def test_decode_skips_a_line_cut_short_and_an_unreadable_one():
    whole = encode(drop(1), None) + b'{"run": 1}\n'
    assert decode(whole + encode(drop(2), HUE)[:-10]) == [drop(1)]


def test_the_record_survives_a_new_process_and_a_half_written_line_is_cut(tmp_path):
    log = DropLog(tmp_path)
    assert not log.pending and log.read() == []
    log.add(drop(1))
    log.add(drop(2))
    with open(tmp_path / NAME, "ab") as f:
        f.write(b'{"run": "0000000001000-11", "se')  # SIGKILL mid-write

    again = DropLog(tmp_path)  # the next collector process
    assert again.read() == [drop(1), drop(2)]
    again.add(drop(3, centres=("z",)))
    again.add(drop(4, centres=("z",)))
    assert again.read() == [drop(1), drop(2), drop(3, centres=("z",)), drop(4, centres=("z",))]
    again.clear()
    assert not again.pending and not (tmp_path / NAME).exists()
    again.add(drop(5, centres=("z",)))  # after a clear, the first line carries its centres
    assert DropLog(tmp_path).read() == [drop(5, centres=("z",))]


def rows() -> list[tuple]:
    detail = json.dumps({"polls": 120, "spool_bytes": 368_000, "max_bytes": 370_000})
    return [(1, "", T_1002, T_1002 + 180_000, 3, "19753,19756", SPOOL_FULL, detail),
            (2, "shard-1of2", T_1002 + 900_000, T_1002 + 900_000, 1, "20000", SPOOL_FULL,
             "not json")]


def test_gap_rows_become_a_typed_frame_and_a_bad_detail_gives_nulls():
    got = frame(rows())
    assert got["centres"].to_list() == [["19753", "19756"], ["20000"]]
    assert got["polls"].to_list() == [120, None]
    assert got["start"][0].timestamp() * 1000 == T_1002
    assert (got["end"][0] - got["start"][0]).total_seconds() == 180
    assert frame([]).columns == got.columns


def test_a_scope_sees_a_gap_only_when_it_holds_one_of_its_centres():
    gaps = frame(rows())
    assert visible(gaps, None)["id"].to_list() == [1, 2]
    assert visible(gaps, ["19756", "99999"])["id"].to_list() == [1]
    assert visible(gaps, ["99999"]).is_empty() and visible(gaps, []).is_empty()


def test_a_gap_in_words_names_its_day_when_not_today_and_its_sizes_in_binary_units():
    from datetime import UTC, datetime

    from dashboard.i18n import text
    from dashboard.views import gaps as gaps_view

    first, second = frame(rows()).iter_rows(named=True)  # 10:02–10:05, 10:17 local
    today = datetime(2025, 7, 3, 5, tzinfo=UTC)
    later = datetime(2025, 7, 5, tzinfo=UTC)
    vi, en = text("vi"), text("en")
    assert gaps_view.line(first, vi, today, "Asia/Ho_Chi_Minh") == (
        "Thiếu dữ liệu 10:02–10:05 (3 chu kỳ): bộ đệm đĩa của bộ thu thập đầy khi mất kết nối "
        "cơ sở dữ liệu")
    assert gaps_view.line(second, en, later, "Asia/Ho_Chi_Minh").startswith(
        "Data missing at 10:17 03/07/2025 (1 cycle): the collector's disk spool")
    assert gaps_view.detail(first, vi) == ("120 lượt thu thập bị bỏ; "
                                           "bộ đệm 359 KiB / giới hạn 361 KiB")
    assert gaps_view.detail(second, en) == "collector shard-1of2"
    assert [gaps_view.size(n, "vi") for n in (512, 1536, 3 << 29, None)] == [
        "512 B", "2 KiB", "1,5 GiB", "—"]


def test_drops_of_another_reason_start_another_gap():
    unwritable = [Drop(**{**d.__dict__, "reason": SPOOL_UNWRITABLE}) for d in (drop(7), drop(8))]
    found = merge([drop(5), drop(6), *unwritable])
    assert [(g.reason, g.cycles) for g in found] == [(SPOOL_FULL, 2), (SPOOL_UNWRITABLE, 2)]


def test_drop_reason_survives_the_record_on_disk(tmp_path):
    log = DropLog(tmp_path)
    log.add(Drop(**{**drop(1).__dict__, "reason": SPOOL_UNWRITABLE}))
    log.add(drop(2))
    assert [d.reason for d in DropLog(tmp_path).read()] == [SPOOL_UNWRITABLE, SPOOL_FULL]


def test_drops_the_folder_cannot_take_are_kept_in_memory_until_forgotten(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    log = DropLog(blocker / "spool")
    assert log.add(drop(1)) is not None  # refused by the disk: kept, and the error returned
    assert log.pending and log.read() == [drop(1)]
    log.forget({(drop(1).run, drop(1).seq)})
    assert not log.pending


def test_forget_keeps_a_drop_added_while_the_gaps_were_written(tmp_path):
    log = DropLog(tmp_path)
    log.add(drop(1))
    seen = log.read()  # the writer reads, then records these gaps …
    log.add(drop(2))  # … while the cycle loop drops another
    log.forget({(d.run, d.seq) for d in seen})
    assert DropLog(tmp_path).read() == [drop(2)]
