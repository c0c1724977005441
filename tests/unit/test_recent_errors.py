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
