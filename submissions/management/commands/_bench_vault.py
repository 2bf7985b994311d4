"""The cost of encryption at rest (issue 7): the time a request spends in the vault, measured inside it.

`vault_clock()` times, while it is open, every entry into the vault's code: a sealed field's load,
read and save (codecs included), the key lookups, the sealing of files and audit values, a data key's
creation, and the queries on the vault's own tables (a page's keys come in one); nested entries count
once. Measuring inside the same requests, rather than against a build without encryption, keeps a
busy machine's noise out of a small difference.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from unittest import mock

from django.db import connection

import audit.models
import audit.services
import reviews.selectors
import submissions.models
import submissions.selectors
import submissions.services
import vault.fields
from vault.selectors import data_key_cache, project_key_cache


@dataclass
class VaultClock:
    seconds: float = 0.0
    calls: int = 0
    queries: int = 0
    depth: int = 0


# Every way into the vault, as the module that calls it bound the name (nested calls count once).
ENTRY_POINTS = (
    (vault.fields.SealedDescriptor, "__get__"),
    (vault.fields.SealedField, "from_db_value"),
    (vault.fields.SealedField, "pre_save"),
    (vault.fields.SealedField, "get_db_prep_value"),
    (vault.fields.SealedField, "open_many"),
    (vault.fields, "data_keys_remember"),
    (reviews.selectors, "data_keys_from_rows"),
    (submissions.selectors, "data_keys_from_rows"),
    (submissions.selectors, "blob_open"),
    (submissions.services, "blob_seal"),
    (submissions.services, "data_key_destroy"),
    (submissions.models, "data_key_create"),
    (audit.services, "tokens_seal"),
    (audit.models, "tokens_open"),
)


@contextmanager
def vault_clock(*, cold: bool = False) -> Iterator[VaultClock]:
    """The vault's time inside the block; `cold` empties the key caches first, as in a new process."""
    if cold:
        data_key_cache.clear()
        project_key_cache.clear()
    clock = VaultClock()

    def timed(function: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            clock.depth += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                clock.depth -= 1
                if not clock.depth:
                    clock.seconds += time.perf_counter() - started
                    clock.calls += 1
        return wrapper

    def vault_query(execute, sql, params, many, context):
        head = sql.lstrip()[:200]
        if clock.depth or not (head.startswith(('INSERT INTO "vault_', 'UPDATE "vault_')) or ' FROM "vault_' in head):
            return execute(sql, params, many, context)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            clock.seconds += time.perf_counter() - started
            clock.queries += 1

    with ExitStack() as stack:
        for owner, name in ENTRY_POINTS:
            stack.enter_context(mock.patch.object(owner, name, timed(getattr(owner, name))))
        stack.enter_context(connection.execute_wrapper(vault_query))
        yield clock


ENCRYPTION_COST_TARGET = 0.05


def encryption_markdown(rows: list[dict], repeat: int) -> str:
    """rows: {"what", "total_ms", "vault_ms"}; the share of each request spent on encryption."""
    lines = [
        "## Encryption at rest: its cost",
        "",
        "The time each request spends in the vault's code (sealed fields' loading, opening and sealing, codecs",
        "included; key lookups, unwrapping and the key tables' queries), measured inside the same requests with the",
        f"key caches empty, as in a process that has just started (a warm worker pays less). Median of {repeat}. "
        "Target: under "
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
