"""Compute-once values that two threads of one request may ask for at the same time.

Step 1 overlaps its analyses (`submissions.checks.pipeline`): a helper thread computes measurements
while the request thread runs checks, and either may be first to need a value. Both tools here
compute a value once, make the other thread wait for it rather than compute it again, and keep
nothing when the computation raises (the check that needs the value computes it again and fails
as a check, with its documented code).

Locks are per instance and per name: `functools.cached_property` on Python 3.11 holds one lock per
attribute for every instance of the class, which would make two concurrent requests wait on each
other's OCR, and on 3.12+ it has no lock at all (both threads would compute).
"""

import threading
from collections.abc import Callable, Hashable
from typing import Any

_MISSING = object()


class Memo:
    """Values by key, each computed once (`get(key, compute)`); a failed computation is not kept."""

    def __init__(self, store: dict | None = None) -> None:
        self.values: dict = {} if store is None else store
        self._locks: dict[Hashable, threading.RLock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: Hashable) -> threading.RLock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.RLock()
            return lock

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        value = self.values.get(key, _MISSING)
        if value is not _MISSING:
            return value
        with self._lock(key):
            value = self.values.get(key, _MISSING)
            if value is _MISSING:
                value = compute()
                self.values[key] = value
            return value


class memoized_property:  # noqa: N801 - used as a decorator, like the property it replaces
    """`cached_property` with a lock per instance and per attribute (see the module docstring).

    The value is kept in the instance's `__dict__` under the attribute's name, as cached_property
    does, so a computed value reads at plain attribute speed and `__dict__` shows what was computed.
    """

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        values = instance.__dict__
        memo = values.get("_memo")
        if memo is None:
            memo = values.setdefault("_memo", Memo(store=values))  # setdefault: one Memo even if two threads race
        return memo.get(self.name, lambda: self.function(instance))
