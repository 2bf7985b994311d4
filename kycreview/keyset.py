"""Opaque cursors for keyset pagination: a (timestamp, id) pair, base64 so clients treat it as opaque.

The queue (oldest first) and the data API (newest first) both page on a (timestamp, id) index;
a page continues after or before the pair, compared as a row value, which PostgreSQL reads off
the index directly.
"""

import base64
from datetime import datetime

from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL


def keyset_encode(stamp: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{stamp.isoformat()}|{pk}".encode()).decode().rstrip("=")


def keyset_decode(key: str) -> tuple[datetime, int] | None:
    """The (timestamp, id) of a cursor; None when it is not one of ours."""
    try:
        stamp, pk = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).decode().split("|")
        return datetime.fromisoformat(stamp), int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


def keyset_condition(model, column: str, operator: str, after: tuple[datetime, int]) -> RawSQL:
    """`(column, id) > (stamp, pk)` (or `<`) on `model`'s table, as a filter expression."""
    if operator not in ("<", ">"):
        raise ValueError(operator)
    table = model._meta.db_table
    # Raw SQL skips the field's own conversion: SQLite compares the text it stores, so the stamp
    # must be written the way it stores them.
    stamp = connection.ops.adapt_datetimefield_value(after[0])
    return RawSQL(f'("{table}"."{column}", "{table}"."id") {operator} (%s, %s)', (stamp, after[1]),
                  output_field=BooleanField())
