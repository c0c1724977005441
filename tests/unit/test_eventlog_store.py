"""The event log's store on a real directory: WAL records, group commit, torn tails, corruption,
idempotent batch ids across a restart, queries, retention, and a real full disk (RLIMIT_FSIZE)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from framework.metrics import registry
from services.eventlog.query import QueryError, parse
from services.eventlog.store import Full, Store
from services.eventlog.wal import Wal, read_segment


def ev(msg: str, **kw: object) -> dict[str, object]:
    return {"service": kw.pop("service", "app"), "host": "h1", "level": kw.pop("level", "info"), "category": "", "message": msg, **kw}


def opened(path: Path, **kw: object) -> Store:
    s = Store(path, **kw)  # type: ignore[arg-type]
    s.open()
    return s


def messages(store: Store, query: str = "", forward: bool = True) -> list[str]:
    found, _ = store.query(parse(query), 0, 0, 100_000, forward, None)
    return [e["message"] for _, e in found]


# -- query language ------------------------------------------------------------------------------


def test_selector_and_line_filters() -> None:
    q = parse('{service="billing", level=~"error|critical", host!="b"} |= "timeout" != "retry" |~ "t.*out"')
    assert q.matches({"service": "billing", "level": "error", "host": "a"}, "db timeout")
    assert not q.matches({"service": "billing", "level": "error", "host": "b"}, "db timeout")
    assert not q.matches({"service": "billing", "level": "errors", "host": "a"}, "db timeout")  # =~ is anchored
    assert not q.matches({"service": "billing", "level": "error", "host": "a"}, "db timeout, retry")
    assert not q.matches({"service": "web", "level": "error", "host": "a"}, "db timeout")
    assert parse("").matches({}, "anything") and parse("{}").matches({}, "x")
    assert parse('{a="1"} !~ "^x"').matches({"a": "1"}, "yx") and not parse('!~ "^x"').matches({}, "xy")


def test_json_stage_and_field_filters() -> None:
    q = parse('{service="web"} |= "pay" | json | status="500" | req_path=~"/pay.*" | retry!="true"')
    labels = {"service": "web"}
    assert q.matches(dict(labels), '{"status": 500, "req": {"path": "/pay/42"}, "retry": false, "msg": "pay failed"}')
    assert not q.matches(dict(labels), '{"status": 200, "req": {"path": "/pay/42"}, "msg": "pay"}')
    assert not q.matches(dict(labels), "pay: not json")
    assert not q.matches(dict(labels), '{"status": 500, "req": {"path": "/pay"}, "retry": true, "msg": "pay"}')
    assert parse('| json').matches({}, '{"a": 1}') and parse('| service="x"').matches({"service": "x"}, "no json needed")


@pytest.mark.parametrize(
    "text, where",
    [('{service="a"', "}"), ('| json | status', "=, !="), ('| "x"', "json or a field name"), ('{service=a}', "quoted"), ('{service|="a"}', "line filter"), ('|~ "("', "regular expression"), ('{a="1"} "x"', "line filter"), ("{a='1'}", "unexpected")],
)
def test_bad_queries_say_what_is_wrong(text: str, where: str) -> None:
    with pytest.raises(QueryError, match=where):
        parse(text)


# -- WAL -----------------------------------------------------------------------------------------


def test_concurrent_records_share_one_fsync(tmp_path: Path) -> None:
    wal = Wal(tmp_path, policy="always")
    list(wal.replay())
    before = wal.fsyncs.value
    futures = [wal.submit(f"record {i}".encode(), i) for i in range(10)]  # queued before the writer runs
    wal.open(1)
    for f in futures:
        f.result(10)
    assert wal.fsyncs.value - before == 1  # one group, one fsync, ten acknowledgements
    wal.close()
    records, end, bad = read_segment(wal.segments[-1].path)
    assert [r.decode() for r in records] == [f"record {i}" for i in range(10)] and not bad


def test_torn_tail_is_cut_and_counted(tmp_path: Path) -> None:
    s = opened(tmp_path)
    for i in range(5):
        s.append([ev(f"m{i}")], f"batch-{i}").result(10)
    s.close()
    seg = sorted(tmp_path.glob("wal-*.log"))[-1]
    good = seg.stat().st_size
    with open(seg, "ab") as f:
        f.write(b"\x40\x00\x00\x00\x12\x34")  # a header cut short, as a crash mid-write leaves it
    torn = registry.value("eventlog/wal/torn_tails_cut")
    s = opened(tmp_path)
    assert messages(s) == [f"m{i}" for i in range(5)]
    assert seg.stat().st_size == good
    assert registry.value("eventlog/wal/torn_tails_cut") == torn + 1
    s.append([ev("after")]).result(10)  # appends continue after the cut
    s.close()
    assert messages(opened(tmp_path)) == [*(f"m{i}" for i in range(5)), "after"]


def test_a_flipped_byte_fails_its_checksum(tmp_path: Path) -> None:
    s = opened(tmp_path)
    s.append([ev("one")]).result(10)
    s.append([ev("two")]).result(10)
    s.close()
    seg = sorted(tmp_path.glob("wal-*.log"))[-1]
    data = bytearray(seg.read_bytes())
    data[-3] ^= 0xFF  # inside the last record's payload
    seg.write_bytes(bytes(data))
    corrupt = registry.value("eventlog/wal/corrupt_records")
    s = opened(tmp_path)
    assert messages(s) == ["one"]
    assert registry.value("eventlog/wal/corrupt_records") == corrupt + 1
    s.close()


def test_batch_ids_are_idempotent_across_a_restart(tmp_path: Path) -> None:
    s = opened(tmp_path)
    first = s.append([ev("a"), ev("b")], "client-1/0001").result(10)
    again = s.append([ev("a"), ev("b")], "client-1/0001").result(10)
    assert (first.stored, first.duplicate) == (2, False)
    assert (again.stored, again.duplicate, again.first_seq) == (0, True, first.first_seq)
    s.close()
    s = opened(tmp_path)
    after = s.append([ev("a"), ev("b")], "client-1/0001").result(10)
    assert after.duplicate and after.first_seq == first.first_seq
    assert messages(s) == ["a", "b"]
    s.close()


def test_query_pages_labels_time_and_direction(tmp_path: Path) -> None:
    s = opened(tmp_path)
    for i in range(25):
        s.append([ev(f"billing {i} {'timeout' if i % 2 else 'ok'}", service="billing", level="error" if i % 3 == 0 else "info", t=1000 + i)]).result(10)
        s.append([ev(f"web {i}", service="web", t=1000 + i, labels={"region": "eu" if i < 5 else "us"})]).result(10)
    q = parse('{service="billing", level="error"} |= "timeout"')
    want = [f"billing {i} timeout" for i in range(24, -1, -1) if i % 2 and i % 3 == 0]
    got, cursor = [], None
    while True:
        page, cursor = s.query(q, 0, 0, 2, False, cursor)
        got += [e["message"] for _, e in page]
        if cursor is None:
            break
    assert got == want  # newest first, across pages of two
    assert messages(s, '{region="eu"}') == [f"web {i}" for i in range(5)]
    found, _ = s.query(parse('{service="web"}'), 1010, 1012, 100, True, None)
    assert [e["message"] for _, e in found] == ["web 10", "web 11"]
    assert s.after(parse('{service="web"}'), found[-1][0], 2) == s.query(parse('{service="web"}'), 1012, 1014, 100, True, None)[0]
    s.close()


def test_retention_by_size_drops_oldest_segments(tmp_path: Path) -> None:
    s = opened(tmp_path, segment_bytes=2000, retention_bytes=5000)
    for i in range(100):
        s.append([ev(f"event {i:03d} " + "x" * 60)]).result(10)
    assert len(s.wal.segments) > 3
    dropped = s.enforce_retention()
    assert dropped > 0
    assert sum(p.stat().st_size for p in tmp_path.glob("wal-*.log")) <= 5000 + 2000
    left = messages(s)
    assert left == [f"event {i:03d} " + "x" * 60 for i in range(100 - len(left), 100)]  # the newest survive, in order
    s.close()
    assert messages(opened(tmp_path, segment_bytes=2000)) == left  # and the index agrees with the disk


def test_retention_by_age(tmp_path: Path) -> None:
    s = opened(tmp_path, segment_bytes=500, retention_age_s=3600)
    for i in range(20):
        s.append([ev(f"old {i} " + "x" * 40)]).result(10)
    two_hours_ago = time.time() - 7200
    for seg in s.wal.segments:
        os.utime(seg.path, (two_hours_ago, two_hours_ago))  # as if last written then
    s.append([ev("new")]).result(10)
    assert s.enforce_retention() > 0
    left = messages(s)
    assert left[-1] == "new" and len(left) < 21  # old segments went; the segment being written stays
    assert left[:-1] == [f"old {i} " + "x" * 40 for i in range(21 - len(left), 20)]  # the newest old ones, in order
    s.close()


def test_a_full_queue_refuses_without_storing(tmp_path: Path) -> None:
    s = opened(tmp_path, max_queue_events=10)
    with pytest.raises(Full, match="queue full"):
        s.append([ev(str(i)) for i in range(11)])
    s.append([ev("fits")]).result(10)
    assert messages(s) == ["fits"]
    s.close()


def test_a_second_process_cannot_open_the_same_directory(tmp_path: Path) -> None:
    s = opened(tmp_path)
    with pytest.raises(RuntimeError, match="in use by another event-log process"):
        opened(tmp_path)
    s.close()


def test_a_full_disk_refuses_and_acknowledges_only_what_was_written(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse writes past a size (EFBIG), as a full disk does."""
    script = textwrap.dedent(
        f"""
        import json, resource, sys
        from pathlib import Path
        from services.eventlog.store import Full, Store
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
        s = Store(Path({str(tmp_path)!r}))
        s.open()
        acked, refused = [], 0
        for i in range(400):
            try:
                s.append([{{"message": f"event {{i}} " + "y" * 80}}], f"b{{i}}").result(10)
                acked.append(f"event {{i}} " + "y" * 80)
            except Full as e:
                refused += 1
        s.close()
        print(json.dumps({{"acked": acked, "refused": refused}}))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["refused"] > 0 and len(result["acked"]) > 0
    before = registry.value("eventlog/wal/corrupt_records")
    s = opened(tmp_path)
    assert messages(s) == result["acked"]  # every acknowledged event, nothing refused, no torn bytes
    assert registry.value("eventlog/wal/corrupt_records") == before
    s.close()


@pytest.mark.parametrize("policy", ["batch", "os"])
def test_other_policies_acknowledge_what_a_restart_reads(tmp_path: Path, policy: str) -> None:
    s = opened(tmp_path, policy=policy, batch_interval_s=0.01)
    before = s.wal.fsyncs.value
    for i in range(50):
        s.append([ev(f"e{i}")]).result(10)
    if policy == "os":
        assert s.wal.fsyncs.value == before  # never, as documented
    s.close()
    assert messages(opened(tmp_path)) == [f"e{i}" for i in range(50)]


def test_a_retry_racing_its_own_first_attempt_is_stored_once(tmp_path: Path) -> None:
    s = opened(tmp_path)
    first = s.append([ev("x"), ev("y")], "racy")
    second = s.append([ev("x"), ev("y")], "racy")  # while the first may still be on its way to disk
    a, b = first.result(10), second.result(10)
    assert (a.stored, a.duplicate) == (2, False) and (b.stored, b.duplicate, b.first_seq) == (0, True, a.first_seq)
    assert messages(s) == ["x", "y"]
    s.close()
