"""Pure parts of `ioc bench load`: figures, /proc parsing, the protocol client's helpers."""

from __future__ import annotations

import pytest

from bench.load import (
    memory_summary,
    percentiles,
    slope_per_hour,
    thin,
    wall_query,
    windows,
)
from bench.procstat import (
    Listener,
    allocator_in,
    listeners_in,
    listening_inodes,
    malloc_settings_in,
    parse_rss_kb,
    parse_stat,
)
from bench.stclient import stream_url, widget_id_key


def test_percentiles_are_nearest_rank_in_ms():
    got = percentiles([i / 100 for i in range(1, 101)])  # 0.01 … 1.00 s
    assert got == {"n": 100, "p50_ms": 500.0, "p95_ms": 950.0, "p99_ms": 990.0,
                   "max_ms": 1000.0}
    assert percentiles([]) == {"n": 0}
    assert percentiles([0.2])["p99_ms"] == 200.0


def test_slope_per_hour_of_a_line_and_of_too_few_points():
    assert slope_per_hour([(t, 100 + t / 60) for t in range(0, 600, 5)]) == pytest.approx(60)
    assert slope_per_hour([(0, 5), (10, 5), (20, 5)]) == 0
    assert slope_per_hour([(0, 1), (1, 2)]) is None


def test_memory_summary_fits_after_the_warm_up_and_over_the_second_half():
    # Grows 60 MB/h for the first half hour, then stays: a bound being filled.
    rows = [{"t_s": t, "rss_mb": 100 + min(t, 1800) / 60} for t in range(0, 3601, 5)]
    got = memory_summary(rows, "rss_mb", warm_s=720, half_s=1800)
    assert (got["start"], got["end"], got["max"]) == (100, 130, 130)
    assert got["slope_from_s"] == 720 and 0 < got["slope_mb_per_h"] < 60
    assert got["slope_second_half_mb_per_h"] == 0
    assert memory_summary(rows[:2], "rss_mb", 0, 0)["slope_mb_per_h"] is None
    assert got["windows"]["mean"][3:] == [130, 130, 130]  # levelled off after half an hour
    assert got["windows"]["mean"][0] < got["windows"]["mean"][1] < got["windows"]["mean"][2]


def test_windows_give_mean_and_max_per_equal_slice_of_the_run():
    points = [(0, 10.0), (5, 12.0), (10, 20.0), (15, 22.0), (20, 30.0)]
    assert windows(points, 2) == {"length_s": 10.0, "from_s": [0, 10.0],
                                  "mean": [11.0, 24.0], "max": [12.0, 30.0]}
    # a sampler that stalled leaves a window empty: it is left out, not shown as zero
    gap = [(0, 1.0), (1, 1.0), (9, 3.0), (10, 3.0)]
    assert windows(gap, 5)["from_s"] == [0, 8.0] and windows(gap, 5)["mean"] == [1.0, 3.0]
    assert windows([], 6)["mean"] == [] and windows([(0, 4.0)], 6)["max"] == [4.0]


def test_allocator_in_reads_the_preloaded_malloc_from_the_memory_maps():
    libc = ("7f1c2a000000-7f1c2a028000 r--p 00000000 fe:01 1234 "
            "/usr/lib/x86_64-linux-gnu/libc.so.6\n")
    jemalloc = ("7f1c29c00000-7f1c29c0c000 r--p 00000000 fe:01 99 "
                "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2\n")
    assert allocator_in(libc) == "glibc"
    assert allocator_in(libc + jemalloc) == "jemalloc"
    # polars bundles its own, prefixed jemalloc inside its own library: still glibc's malloc
    polars = "7f1c20000000-7f1c28000000 r-xp 00000000 fe:01 7 /x/polars/polars.abi3.so\n"
    assert allocator_in(libc + polars) == "glibc"


def test_malloc_settings_in_reads_the_allocators_settings_from_the_start_environment():
    environ = (b"PATH=/usr/bin\0MALLOC_ARENA_MAX=1\0GLIBC_TUNABLES=glibc.malloc.trim_threshold="
               b"131072\0_RJEM_MALLOC_CONF=dirty_decay_ms:500\0MALLOC_MMAP_THRESHOLD_=65536\0"
               b"NOT_MALLOC_ARENA_MAX=9\0MALLOC_BROKEN\0RJEM_MALLOC_CONF=x\0")
    assert malloc_settings_in(environ) == {
        "GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072", "MALLOC_ARENA_MAX": "1",
        "MALLOC_MMAP_THRESHOLD_": "65536", "_RJEM_MALLOC_CONF": "dirty_decay_ms:500"}
    assert malloc_settings_in(b"") == {} and malloc_settings_in(b"\xff=\0") == {}


def test_proc_parsing():
    stat = "4242 (python -m (odd) name) S 1 4242 4242 0 -1 4194560 9 0 0 0 731 88 0 0 20 0"
    assert parse_stat(stat) == (731, 88)
    status = ("Name:\tpython\nVmRSS:\t  123456 kB\nRssAnon:\t   80000 kB\n"
              "RssFile:\t   43456 kB\nThreads:\t9\n")
    assert parse_rss_kb(status) == (123456, 80000)
    with pytest.raises(ValueError, match="VmRSS"):
        parse_rss_kb("Name:\tkworker\n")
    with pytest.raises(ValueError, match="RssAnon"):
        parse_rss_kb("VmRSS:\t  123456 kB\n")
    table = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid"
             "  timeout inode\n"
             "   0: 0100007F:BB8D 00000000:0000 0A 00000000:00000000 00:00000000 00000000"
             "     0        0 91234 1 0000000000000000 100 0 0 10 0\n"
             "   1: 0100007F:BB8D 0100007F:9C40 01 00000000:00000000 00:00000000 00000000"
             "     0        0 91299 1 0000000000000000 100 0 0 10 0\n")
    assert listening_inodes(table, 0xBB8D) == {"91234"}  # the established one is not listening
    assert listening_inodes(table, 8501) == set()


def test_listeners_in_reads_the_address_of_ipv4_and_ipv6_listening_sockets():
    head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid\n"
    v4 = ("   0: 0100007F:BB8D 00000000:0000 0A 00000000:00000000 00:00000000 00000000"
          "     0        0 91234 1 0000000000000000 100 0 0 10 0\n")
    v6 = ("   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A"
          " 00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000\n")
    assert listeners_in(head + v4) == [Listener("127.0.0.1", 0xBB8D, "91234")]
    assert listeners_in(head + v6) == [Listener("::1", 8080, "77")]



def test_thin_keeps_ends_and_bound():
    rows = [{"i": i} for i in range(1000)]
    out = thin(rows, 120)
    assert len(out) == 120 and out[0]["i"] == 0 and out[-1]["i"] == 999
    assert thin(rows[:5], 120) == rows[:5]


def test_wall_query_per_auth_mode():
    assert wall_query("", "none", None) == "kiosk=1"
    assert wall_query("province=46", "kiosk", "a b&c") == "province=46&kiosk=a+b%26c"
    assert wall_query("?province=46", "local", None) == "province=46"


def test_protocol_helpers():
    assert stream_url("http://127.0.0.1:9000") == "ws://127.0.0.1:9000/_stcore/stream"
    assert stream_url("https://ioc.example.vn/dash/") == \
        "wss://ioc.example.vn/dash/_stcore/stream"
    with pytest.raises(ValueError, match="ftp://x"):
        stream_url("ftp://x")
    assert widget_id_key("$$ID-3f2a9c-commune.range") == "commune.range"
    assert widget_id_key("$$ID-3f2a9c-finder-search-box") == "finder-search-box"
    assert widget_id_key("$$ID-3f2a9c-None") is None
    assert widget_id_key("plain-id") is None


def test_closing_a_tab_while_the_bench_is_cancelled_lets_the_cancellation_through():
    # Ctrl-C cancels every session; one that was closing its tab must stop, not swallow it
    # and reconnect until the run's end.
    import asyncio

    from bench.stclient import Session

    async def main() -> tuple[bool, bool]:
        tab = Session("http://127.0.0.1:9")
        tab.reader = asyncio.create_task(asyncio.sleep(3600))
        closing = asyncio.create_task(tab.close())
        quiet = Session("http://127.0.0.1:9")
        quiet.reader = asyncio.create_task(asyncio.sleep(3600))
        await asyncio.sleep(0)
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        await quiet.close()  # a plain close still ends quietly, its reader cancelled
        return closing.cancelled(), quiet.reader.cancelled()

    assert asyncio.run(main()) == (True, True)
