"""The cost of encryption at rest (issue 7): the time a request spends in the vault, measured inside it.

`vault_clock()` times, while it is open, every cipher call of the vault (seal, open, wrap, unwrap, key
generation) and every query on the vault's own tables (a data key's insert at Step 1, a key fetch on
a cache miss). Rows whose keys come joined with a page's query are costed by timing that query with
and without the join (`join_cost_ms`). Measuring inside the same requests, rather than against a
build without encryption, keeps a busy machine's noise out of a small difference.
"""

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from unittest import mock

from django.db import connection

import vault.fields
import vault.selectors
import vault.services


@dataclass
class VaultClock:
    seconds: float = 0.0
    calls: int = 0
    queries: int = 0
    _depth: int = 0


# Every cipher entry point, as the modules that call it bound the name.
CIPHER_CALLS = (
    (vault.fields, "seal"),
    (vault.fields, "unseal"),
    (vault.selectors, "key_unwrap"),
    (vault.services, "key_wrap"),
    (vault.services, "key_unwrap"),
    (vault.services, "key_new"),
)


@contextmanager
def vault_clock() -> Iterator[VaultClock]:
    clock = VaultClock()

    def timed(function: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                clock.seconds += time.perf_counter() - started
                clock.calls += 1
        return wrapper

    def vault_query(execute, sql, params, many, context):
        head = sql.lstrip()[:200]
        if not (head.startswith(('INSERT INTO "vault_', 'UPDATE "vault_')) or ' FROM "vault_' in head):
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            clock.seconds += time.perf_counter() - started
            clock.queries += 1

    with ExitStack() as stack:
        for module, name in CIPHER_CALLS:
            stack.enter_context(mock.patch.object(module, name, timed(getattr(module, name))))
        stack.enter_context(connection.execute_wrapper(vault_query))
        yield clock


def join_cost_ms(queryset, *, joined: tuple[str, ...], fields: tuple[str, ...], repeat: int) -> float:
    """Median time the rows query of a page takes with its key join, minus without it (ms, floor 0)."""
    def run(query) -> float:
        sql, params = query.query.sql_with_params()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
        return time.perf_counter() - started

    with_join = queryset.select_related(*joined).only(*fields)
    without = queryset.only(*(f for f in fields if not f.startswith("data_key__")))
    run(with_join), run(without)  # warm the caches of both plans
    times_with = [run(with_join) for _ in range(repeat)]
    times_without = [run(without) for _ in range(repeat)]
    return max(0.0, statistics.median(times_with) - statistics.median(times_without)) * 1000


ENCRYPTION_COST_TARGET = 0.05


def encryption_markdown(rows: list[dict], repeat: int) -> str:
    """rows: {"what", "total_ms", "vault_ms"}; the share of each request spent on encryption."""
    lines = [
        "## Encryption at rest: its cost",
        "",
        "The time each request spends in the vault (ciphers, key unwrapping, queries on the key tables, and the",
        "join that brings a page's keys), measured inside the same requests with the key caches empty, as in a",
        f"process that has just started (a warm worker pays less). Median of {repeat}. Target: under "
        f"{ENCRYPTION_COST_TARGET:.0%} added time.",
        "",
    ]
    if not rows:
        return "\n".join([*lines, "Not measured."])
    lines += ["| request | total ms | of it, encryption ms | added time | target met |", "|---|---|---|---|---|"]
    for row in rows:
        # Added time: what the request would take without encryption is its total minus the vault's share.
        added = row["vault_ms"] / max(row["total_ms"] - row["vault_ms"], 1e-9)
        met = "yes" if added < ENCRYPTION_COST_TARGET else "NO"
        lines.append(f"| {row['what']} | {row['total_ms']:.1f} | {row['vault_ms']:.2f} | {added:.1%} | {met} |")
    return "\n".join(lines)
