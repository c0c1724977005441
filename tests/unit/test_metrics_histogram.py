"""A histogram's batched folding puts every value in the bucket a bisect would, and a reader
sees every value added, folded or not."""

from __future__ import annotations

import random
import threading
from bisect import bisect_left

from framework.metrics import _BOUNDS, FOLD_AT, Histogram


def expected_counts(values: list[float]) -> list[int]:
    counts = [0] * (len(_BOUNDS) + 1)
    for v in values:
        counts[bisect_left(_BOUNDS, v)] += 1
    return counts


def test_folded_buckets_match_one_bisect_per_value() -> None:
    rng = random.Random(7)
    values = [10 ** rng.uniform(-5, 10) for _ in range(5 * FOLD_AT + 17)]  # below the first bound, above the last
    values += _BOUNDS[::37] + [0.0, -1.0, _BOUNDS[-1] * 3]  # exactly on bounds; zero; negative; past the end
    values += [0.25] * 100  # many in one bucket
    h = Histogram("t")
    for v in values:
        h.add(v)
    assert h.pending  # the last batch is still pending ...
    assert h.counts == expected_counts(values)  # ... and reading folds it
    assert not h.pending
    assert h.count == len(values) and h.min == min(values) and h.max == max(values)
    assert abs(h.sum - sum(values)) <= 1e-9 * abs(sum(values))


def test_a_batch_entirely_past_the_last_bound() -> None:
    h = Histogram("t")
    for _ in range(FOLD_AT + 1):
        h.add(_BOUNDS[-1] * 2)
    assert h.counts[-1] == FOLD_AT + 1 and h.count == FOLD_AT + 1


def test_count_includes_values_not_yet_folded() -> None:
    h = Histogram("t")
    h.add(1.0)
    h.add(2.0)
    assert (h.count, h.min, h.max, h.sum) == (2, 1.0, 2.0, 3.0)
    assert h.quantile(0.5) <= 1.02 and h.export()["t.count"] == 2


def test_adds_from_many_threads_are_all_counted() -> None:
    h = Histogram("t")
    per_thread = 3 * FOLD_AT + 5

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(per_thread):
            h.add(rng.uniform(0.01, 50))
            if rng.random() < 0.01:
                _ = h.count  # readers fold while others add

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert h.count == 4 * per_thread == sum(h.counts)
