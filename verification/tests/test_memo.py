"""Compute-once values shared by the request thread and the Step 1 prefetch thread."""

import threading
import time

import pytest

from verification.memo import Memo, memoized_property


def test_a_value_is_computed_once_when_two_threads_ask_at_the_same_time():
    memo, calls, started = Memo(), [], threading.Event()

    def compute():
        calls.append(threading.current_thread().name)
        started.set()
        time.sleep(0.05)  # the other thread arrives while this one computes
        return object()

    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", memo.get("key", compute)))
    first.start()
    started.wait(1)
    results["second"] = memo.get("key", compute)
    first.join()
    assert len(calls) == 1
    assert results["first"] is results["second"]


def test_a_failed_computation_is_not_kept_and_the_next_caller_computes_again():
    memo, attempts = Memo(), []

    def compute():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("hostile image")
        return 42

    with pytest.raises(ValueError):
        memo.get("key", compute)
    assert "key" not in memo.values
    assert memo.get("key", compute) == 42 and len(attempts) == 2


def test_memo_values_live_in_the_given_store():
    store = {}
    memo = Memo(store=store)
    memo.get("a", lambda: 1)
    assert store == {"a": 1}
    store["b"] = 2  # a value put in the store by hand is found, not recomputed
    assert memo.get("b", lambda: pytest.fail("recomputed")) == 2


class _Thing:
    computed = 0

    @memoized_property
    def slow(self):
        """Slow, computed once."""
        _Thing.computed += 1
        time.sleep(0.05)
        return [self]


def test_memoized_property_computes_once_per_instance_and_keeps_its_docstring():
    _Thing.computed = 0
    thing = _Thing()
    threads = [threading.Thread(target=lambda: thing.slow) for _ in range(3)]
    for thread in threads:
        thread.start()
    value = thing.slow
    for thread in threads:
        thread.join()
    assert _Thing.computed == 1 and value == [thing]
    assert thing.__dict__["slow"] is value
    assert _Thing.slow.__doc__ == "Slow, computed once."


class _Meeting:
    """Each instance's computation waits (up to 2 s) until the other instance's has started too."""

    inside = None

    def __init__(self, name):
        self.name = name

    @memoized_property
    def value(self):
        _Meeting.inside.append(self.name)
        deadline = time.monotonic() + 2
        while len(_Meeting.inside) < 2 and time.monotonic() < deadline:
            time.sleep(0.005)
        return len(_Meeting.inside)


def test_two_instances_compute_at_the_same_time_not_one_after_the_other():
    # functools.cached_property on Python 3.11 would serialise these two (one lock per attribute
    # for every instance): two requests would wait for each other's OCR.
    _Meeting.inside = []
    a, b = _Meeting("a"), _Meeting("b")
    results = {}
    thread = threading.Thread(target=lambda: results.setdefault("a", a.value))
    thread.start()
    results["b"] = b.value
    thread.join()
    assert results == {"a": 2, "b": 2}  # each saw the other inside its computation
