"""Reads at 10^3 and 10^6 submissions: the review queue against the stock admin changelist
(issue 5), and the data API's list (issue 6).

Rows are seeded with one `INSERT ... SELECT generate_series` (PostgreSQL) inside a transaction
that is rolled back: a fifth of them Pending, the rest spread over the other statuses, four
countries, a year of history. Both pages are rendered in full (view, template) for a reviewer
of the project, through the same request pipeline; queries are counted without the
savepoints. The stock changelist is a plain `ModelAdmin` with the same columns, filtered to
Pending and sorted oldest first, as a reviewer would use it: its COUNT(*) and OFFSET are what
the workspace's keyset page avoids. `GET /v3/submission` is timed through the whole stack with
the project's API key.
"""

import json
import statistics
import time
import uuid

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from kycreview.keyset import keyset_encode
from reviews.models import ProjectMembership
from reviews.selectors import queue_cursor_encode
from reviews.views.queue import review_queue_view
from submissions.models import Project, Submission, submission_email_key
from vault.crypto import key_new, key_wrap, seal
from vault.models import DataKey, data_key_label
from vault.selectors import project_key_cipher
from vault.services import project_key_current

from ._bench_vault import vault_clock
from ._measure import api_client, rolled_back

QUEUE_RATIO_TARGET = 1.5
QUEUE_QUERY_TARGET = 10
QUEUE_SPEEDUP_TARGET = 10.0

# Column -> SQL over the series number `g` (PostgreSQL). Columns not named here take their
# default: NULL where nullable, '' for text, '[]' / '{}' for JSON. The sealed columns, the data key
# and the email's hash come from `SEALED_SEED`, computed in Python as the service would.
SEED_COLUMNS = {
    "submission_id": "gen_random_uuid()::text",
    "userid": "'user-' || g",
    "requested_id_type": "'passport'",
    "id_type": "(ARRAY['passport','government_id','drivers_license','passport'])[1 + g % 4]",
    "issuing_country": "(ARRAY['POL','USA','KOR','DEU'])[1 + g % 4]",
    "status": "(ARRAY['pending','incomplete','approved','approved','rejected'])[1 + g % 5]",
    "retry_count": "g % 3",
    "created_at": "now() - (g * interval '31 seconds')",
    "updated_at": "now()",
    "last_activity_at": "now() - (g * interval '31 seconds')",
    "step1_completed_at": "now() - (g * interval '31 seconds') + interval '1 minute'",
    "step2_completed_at": "CASE WHEN g % 5 <> 1 THEN now() - (g * interval '31 seconds') + interval '2 minutes' END",
    "decided_at": "CASE WHEN g % 5 >= 2 THEN now() - (g * interval '31 seconds') + interval '1 hour' END",
    "reject_codes": "CASE WHEN g % 5 = 4 THEN '[\"id_image_badImage\"]'::jsonb ELSE '[]'::jsonb END",
    "overall_score": "(g % 100)::float",
}
# Columns filled from arrays (one element a row) -> their SQL type.
SEALED_SEED = {"data_key_id": "uuid", "email": "bytea", "email_key": "text", "entered_data": "bytea"}
SEED_CHUNK = 50_000


def _seed_chunk(project: Project, first: int, last: int) -> dict[str, list]:
    """Each row its own data key (wrapped by the project key), and its email and data sealed with it."""
    project_key = project_key_current(project_id=project.pk)
    project_cipher = project_key_cipher(project_key)
    keys, wrapped, columns = [], [], {name: [] for name in SEALED_SEED}
    email_context = Submission._meta.get_field("email").context
    entered_context = Submission._meta.get_field("entered_data").context
    for g in range(first, last + 1):
        key_id, key = uuid.uuid4(), key_new()
        keys.append(key_id)
        wrapped.append(key_wrap(project_cipher, key, label=data_key_label(key_id)))
        email = f"applicant{g}@example.com"
        entered = json.dumps({"name": f"Applicant {g}", "date_of_birth": "1990-01-01"}).encode()
        columns["data_key_id"].append(key_id)
        columns["email"].append(seal(key_id, key, email.encode(), context=email_context))
        columns["email_key"].append(submission_email_key(email))
        columns["entered_data"].append(seal(key_id, key, entered, context=entered_context))
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{DataKey._meta.db_table}" (id, project_key_id, wrapped, created_at) '
            "SELECT k, %s, w, now() FROM unnest(%s::uuid[], %s::bytea[]) AS t(k, w)",
            [project_key.pk, keys, wrapped],
        )
    return columns


def _seed(project: Project, first: int, last: int) -> None:
    for start in range(first, last + 1, SEED_CHUNK):
        _seed_rows(project, start, min(last, start + SEED_CHUNK - 1))
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{Submission._meta.db_table}"')
        cursor.execute(f'ANALYZE "{DataKey._meta.db_table}"')


def _seed_rows(project: Project, first: int, last: int) -> None:
    columns, values = ["project_id"], [str(project.pk)]
    for field in Submission._meta.concrete_fields:
        if field.primary_key or field.column == "project_id":
            continue
        columns.append(field.column)
        if field.column in SEALED_SEED:
            values.append(f"t.{field.column}")
        elif field.column in SEED_COLUMNS:
            values.append(SEED_COLUMNS[field.column].replace("%", "%%"))  # the statement has parameters
        elif field.null:
            values.append("NULL")
        elif field.get_internal_type() == "JSONField":
            values.append("'[]'::jsonb" if field.default is list else "'{}'::jsonb")
        else:
            values.append("''")
    arrays = _seed_chunk(project, first, last)
    names = list(SEALED_SEED)
    unnest = ", ".join(f"%s::{SEALED_SEED[name]}[]" for name in names)
    table = Submission._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" ({", ".join(columns)}) SELECT {", ".join(values)} '
            f"FROM unnest(%s::int[], {unnest}) AS t(g, {', '.join(names)})",
            [list(range(first, last + 1)), *(arrays[name] for name in names)],
        )


class StockSubmissionAdmin(admin.ModelAdmin):
    """What Django gives without the workspace: the same columns, filters and search."""

    list_display = (
        "submission_id",
        "project",
        "email",
        "status",
        "id_type",
        "issuing_country",
        "retry_count",
        "overall_score",
        "step2_completed_at",
    )
    list_filter = ("status", "project", "id_type", "issuing_country")
    search_fields = ("=submission_id", "=userid")
    list_select_related = ("project", "data_key__project_key")
    ordering = ("step2_completed_at", "id")


def _request(path: str, user, query: dict | None = None, session_key: str | None = None):
    """A request as the middleware leaves it: its session and user read from the database."""
    request = RequestFactory().get(path, query or {})
    request.session = SessionStore(session_key=session_key)
    request.session.load()
    request.user = get_user_model().objects.get(pk=user.pk)
    request._messages = FallbackStorage(request)
    return request


def _timed(render, path: str, user, repeat: int, query: dict | None = None) -> tuple[float, int, float]:
    """Median milliseconds of a full render, its SQL statement count (savepoints excluded), and the
    median milliseconds of it spent in the vault (`_bench_vault`), keys not cached as in a new process.

    Reading the session and the user is part of each timed request, as in the middleware.
    """
    session = SessionStore()
    session.save()
    session_key = session.session_key
    render(_request(path, user, query, session_key=session_key))  # warm: templates, plans
    return _measured(lambda: render(_request(path, user, query, session_key=session_key)), repeat)


def _timed_api(client, query: dict, repeat: int) -> tuple[float, int, float]:
    """As `_timed`, for one GET /v3/submission through the whole stack."""
    def call():
        response = client.get("/v3/submission", query)
        assert response.status_code == 200, response.content

    call()  # warm
    return _measured(call, repeat)


def _measured(call, repeat: int) -> tuple[float, int, float]:
    times, vault_times, statements = [], [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries, vault_clock(cold=True) as clock:
            started = time.perf_counter()
            call()
            times.append((time.perf_counter() - started) * 1000)
        vault_times.append(clock.seconds * 1000)
        statements = sum(1 for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE")))
    return statistics.median(times), statements, statistics.median(vault_times)


def bench_at_scale(*, sizes: tuple[int, ...] = (1_000, 1_000_000), repeat: int = 5) -> dict[str, list[dict]]:
    """Seed once per size; measure the review queue (issue 5) and the data API's list (issue 6)."""
    if connection.vendor != "postgresql":
        return {"queue": [], "list": []}
    rows, api_rows = [], []
    with rolled_back():
        project = Project.objects.create(name="Queue benchmark")
        reviewer = get_user_model().objects.create_user("queue-bench-reviewer", is_staff=True)
        ProjectMembership.objects.create(user=reviewer, project=project, role="reviewer")
        # The stock changelist checks Django's model permissions: a superuser passes them all.
        operator = get_user_model().objects.create_user("queue-bench-operator", is_staff=True, is_superuser=True)
        stock = StockSubmissionAdmin(Submission, admin.AdminSite(name="stock"))
        client = api_client(project)

        def render_queue(request):
            return review_queue_view(request).render()

        def stock_changelist(request):
            return stock.changelist_view(request).render()

        seeded = 0
        for size in sizes:
            _seed(project, seeded + 1, size)
            seeded = size

            pending = Submission.objects.filter(project=project, status="pending").order_by("step2_completed_at", "id")
            deep = pending.count() // 2
            middle = pending[deep]  # untimed: where a reviewer half-way down the queue would be
            stock_query = {"status__exact": "pending", "project__id__exact": str(project.pk)}
            queue_ms, queue_queries, queue_vault_ms = _timed(render_queue, "/admin/review/queue/", reviewer, repeat)
            deep_ms, _, _ = _timed(
                render_queue, "/admin/review/queue/", reviewer, repeat, {"after": queue_cursor_encode(middle)}
            )
            stock_ms, stock_queries, _ = _timed(
                stock_changelist, "/admin/submissions/submission/", operator, repeat, stock_query
            )
            stock_deep_ms, _, _ = _timed(
                stock_changelist,
                "/admin/submissions/submission/",
                operator,
                repeat,
                {**stock_query, "p": str(deep // stock.list_per_page)},
            )
            rows.append(
                {
                    "size": size,
                    "queue_ms": queue_ms,
                    "queue_queries": queue_queries,
                    "deep_ms": deep_ms,
                    "stock_ms": stock_ms,
                    "stock_queries": stock_queries,
                    "stock_deep_ms": stock_deep_ms,
                    "vault_ms": queue_vault_ms,
                }
            )
            newest = Submission.objects.filter(project=project).order_by("-created_at", "-id")
            halfway = newest[newest.count() // 2]
            first_ms, first_queries, first_vault_ms = _timed_api(client, {"count": 20}, repeat)
            deep_list_ms, _, _ = _timed_api(
                client, {"count": 20, "nextpage_key": keyset_encode(halfway.created_at, halfway.pk)}, repeat
            )
            status_ms, _, _ = _timed_api(client, {"count": 20, "status": "rejected"}, repeat)
            email_ms, _, _ = _timed_api(client, {"email": f"applicant{size // 3}@example.com"}, repeat)
            api_rows.append({"size": size, "first_ms": first_ms, "queries": first_queries, "deep_ms": deep_list_ms,
                             "status_ms": status_ms, "email_ms": email_ms,
                             "vault_ms": first_vault_ms})
    return {"queue": rows, "list": api_rows}


def review_queue_markdown(rows: list[dict], repeat: int) -> str:
    lines = [
        "## Review queue: 10^3 and 10^6 submissions, against the stock admin changelist",
        "",
        "`/admin/review/queue/` rendered in full for a reviewer (view, selectors, template), first page and a page",
        "half-way down the Pending rows, against a plain `ModelAdmin` changelist of the same rows (same columns and",
        "filters, Pending only, oldest first; a deep page is `?p=`). A fifth of the seeded submissions are Pending.",
        f"Median of {repeat} renders; queries exclude the savepoints of ATOMIC_REQUESTS. Targets: the queue at 10^6",
        f"≤ {QUEUE_RATIO_TARGET}× its time at 10^3, ≤ {QUEUE_QUERY_TARGET} queries, ≥ {QUEUE_SPEEDUP_TARGET:g}× faster"
        " than the stock changelist at 10^6.",
        "",
    ]
    if not rows:
        return "\n".join([*lines, "Not measured: the seeding needs PostgreSQL (set DATABASE_URL)."])
    lines += [
        "| submissions | queue ms | queue queries | queue deep page ms | stock changelist ms | stock queries "
        "| stock deep page ms | stock ÷ queue |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['size']:,} | {row['queue_ms']:.1f} | {row['queue_queries']} | {row['deep_ms']:.1f} | "
            f"{row['stock_ms']:.1f} | {row['stock_queries']} | {row['stock_deep_ms']:.1f} | "
            f"{row['stock_ms'] / row['queue_ms']:.1f}× |"
        )
    small, large = rows[0], rows[-1]
    ratio = large["queue_ms"] / small["queue_ms"]
    speedup = large["stock_ms"] / large["queue_ms"]
    met = (
        ratio <= QUEUE_RATIO_TARGET and large["queue_queries"] <= QUEUE_QUERY_TARGET and speedup >= QUEUE_SPEEDUP_TARGET
    )
    lines += [
        "",
        f"Queue at {large['size']:,} ÷ at {small['size']:,}: {ratio:.2f}×; {large['queue_queries']} queries; "
        f"{speedup:.0f}× faster than the stock changelist. Targets met: {'yes' if met else 'NO'}.",
    ]
    return "\n".join(lines)


LIST_RATIO_TARGET = 1.5


def data_list_markdown(rows: list[dict], repeat: int) -> str:
    lines = [
        "## Data API: GET /v3/submission at 10^3 and 10^6 submissions",
        "",
        "`GET /v3/submission` through the whole stack (API key, view, keyset page, body with signed image URLs and",
        "check results), 20 items a page, on the same seeded rows as the queue: the first page, a page half-way",
        f"down (`nextpage_key`), a status filter and an email lookup. Median of {repeat}. Target: ≤ "
        f"{LIST_RATIO_TARGET}× between sizes.",
        "",
    ]
    if not rows:
        return "\n".join([*lines, "Not measured: the seeding needs PostgreSQL (set DATABASE_URL)."])
    lines += ["| submissions | first page ms | queries | half-way page ms | status=rejected ms | email ms |",
              "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['size']:,} | {row['first_ms']:.1f} | {row['queries']} | {row['deep_ms']:.1f} | "
                     f"{row['status_ms']:.1f} | {row['email_ms']:.1f} |")
    small, large = rows[0], rows[-1]
    worst = max(large[key] / small[key] for key in ("first_ms", "deep_ms", "status_ms", "email_ms"))
    lines += ["", f"Worst ratio {large['size']:,} ÷ {small['size']:,} over the four requests: {worst:.2f}×. "
              f"Target met: {'yes' if worst <= LIST_RATIO_TARGET else 'NO'}."]
    return "\n".join(lines)
