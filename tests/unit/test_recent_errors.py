"""The ring of recent internal errors behind the admin dashboard: bounded, newest first, no messages."""

from __future__ import annotations


def test_recent_errors_keep_only_the_newest() -> None:
    from framework.recent_errors import RecentErrors

    ring = RecentErrors(capacity=3)
    for i in range(5):
        ring.record(f"id{i}", "probe", "fail", ValueError("detail"), trace="" if i % 2 else "ab" * 8)
    assert [e.error_id for e in ring.newest_first()] == ["id4", "id3", "id2"] and ring.total == 5
    newest = ring.newest_first()[0].as_dict()
    assert newest["type"] == "ValueError" and newest["trace"] == "ab" * 8 and "detail" not in str(newest)


def test_a_worker_sends_only_what_is_new_and_the_supervisor_lists_it() -> None:
    from framework.recent_errors import RecentErrors

    worker, supervisor = RecentErrors(capacity=4), RecentErrors(capacity=4)
    worker.record("a", "probe", "fail", ValueError())
    sent = worker.total
    supervisor.absorb(worker.since(0))
    for i in range(6):  # more than the ring holds before the next send
        worker.record(f"b{i}", "probe", "fail", TypeError())
    batch = worker.since(sent)
    assert [e["error_id"] for e in batch] == ["b2", "b3", "b4", "b5"]  # oldest first, only what is left
    supervisor.absorb(batch)
    assert worker.since(worker.total) == []
    assert [e.error_id for e in supervisor.newest_first()] == ["b5", "b4", "b3", "b2"] and supervisor.total == 5
