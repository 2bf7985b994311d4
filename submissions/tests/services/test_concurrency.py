"""Races the locks exist for, run for real: parallel HTTP requests and threads on their own connections.

PostgreSQL only: SQLite's in-memory test database is one shared connection, so nothing there
runs concurrently. Every thread that touches the database closes its connection when done.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import Actor
from conftest import ApiClient, image_bytes, require_system
from reviews import services as review_services
from reviews.codes import ReviewErrorCode
from reviews.models import ReviewDecision
from submissions.checks.base import Check, CheckReport, check_register, check_unregister
from submissions.choices import FileKind, Step, SubmissionStatus
from submissions.codes import Step1RetryCode
from submissions.exceptions import SubmissionError
from submissions.models import StoredFile, Submission, submission_email_key
from submissions.services import submission_lock_applicant, submission_timeout
from submissions.tests.factories import SubmissionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PARALLEL = 20


def require_postgres() -> None:
    require_system(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")


def in_thread(fn):
    """Wrap `fn` so the thread's own database connection is closed when it returns."""

    def run(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    return run


def parallel_requests(client: ApiClient, send) -> list:
    """Send PARALLEL requests at once, each thread with its own HTTP session."""
    barrier = threading.Barrier(PARALLEL, timeout=30)

    def one(_):
        own = ApiClient(client.base_url, client.key)
        barrier.wait()
        try:
            return send(own)
        finally:
            # No keep-alive: the server thread ends and closes its database connection.
            own.session.close()

    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(one, range(PARALLEL)))


def stored_files() -> set[str]:
    root = Path(default_storage.location)
    return {str(p.relative_to(root)) for p in (root / "submissions").rglob("*") if p.is_file()}


def stored_files_of(submission_id: str) -> set[str]:
    folder = Path(default_storage.location) / "submissions" / submission_id
    return {str(p.relative_to(default_storage.location)) for p in folder.rglob("*") if p.is_file()}


def test_parallel_step2_requests_process_the_submission_once(api):
    require_postgres()
    # given
    client = api()
    step1 = client.step1(email="anna@example.com")
    client.session.close()
    assert step1.status_code == 200, step1.text
    submission_id = step1.json()["submissionId"]
    face = image_bytes(size=(480, 640))

    # when
    responses = parallel_requests(client, lambda own: own.step2(submission_id, face=face))

    # then
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code != 200]
    assert len(ok) == 1, [r.text for r in ok]
    assert ok[0].json()["kycStatus"] == "pending"
    assert len(refused) == PARALLEL - 1
    assert {r.status_code for r in refused} == {400}
    assert all(
        r.json() == {"statusCode": 400, "errorCode": "processed_submission",
                     "message": "This submission is already processed."}
        for r in refused
    ), {r.text for r in refused}
    submission = Submission.objects.get(submission_id=submission_id)
    assert submission.status == SubmissionStatus.PENDING
    assert StoredFile.objects.filter(submission=submission, kind=FileKind.SELFIE).count() == 1
    assert AuditEvent.objects.filter(submission=submission, action="submitted").count() == 1
    recorded = set(StoredFile.objects.filter(submission=submission).values_list("file", flat=True))
    assert len(recorded) == 2  # the ID front of Step 1 and the one selfie
    assert stored_files_of(submission_id) == recorded


def test_parallel_step1_requests_for_a_pending_email_all_answer_reviewing(api):
    require_postgres()
    # given
    client = api()
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.PENDING)
    count_before = Submission.objects.count()

    # when
    responses = parallel_requests(client, lambda own: own.step1(email="anna@example.com"))

    # then
    expected = {"statusCode": 400, "errorCode": "reviewing",
                "message": "anna@example.com's KYC is currently reviewing. Please wait."}
    assert [r.status_code for r in responses] == [400] * PARALLEL
    assert all(r.json() == expected for r in responses), {r.text for r in responses}
    assert Submission.objects.count() == count_before


def test_parallel_step1_requests_inside_the_approved_period_create_nothing(api):
    require_postgres()
    # given
    client = api(approved_period_days=30)
    SubmissionFactory(project=client.project, email="anna@example.com", target_status=SubmissionStatus.APPROVED)
    count_before = Submission.objects.count()

    # when
    responses = parallel_requests(client, lambda own: own.step1(email="anna@example.com"))

    # then
    assert [r.status_code for r in responses] == [400] * PARALLEL
    assert {r.json()["errorCode"] for r in responses} == {"processed_submission"}
    assert all(r.json()["message"].startswith("anna@example.com has an existing approved submission.")
               for r in responses)
    assert Submission.objects.count() == count_before
    assert not StoredFile.objects.filter(submission__project=client.project).exists()


CHECK_SECONDS = 0.5
STEP1_PARALLEL = 8


@pytest.fixture
def slow_step1_check():
    """A Step 1 check that takes CHECK_SECONDS, as the image checks take their time; it counts its runs
    and, once `.proceed` is cleared, waits for it before answering."""
    proceed, arrived, lock = threading.Event(), [0], threading.Lock()
    proceed.set()

    def run(self, ctx):
        with lock:
            arrived[0] += 1
        time.sleep(CHECK_SECONDS)
        proceed.wait(60)
        return CheckReport()

    check_class = type("SlowStep1Check", (Check,), {"name": "test_slow_step1", "step": Step.STEP1,
                                                    "codes": (Step1RetryCode.MRZ_PROTOCOL_FAIL,), "run": run})
    check_register(check_class)
    check_class.proceed, check_class.arrived = proceed, arrived
    yield check_class
    check_unregister("test_slow_step1")


def parallel_step1(client: ApiClient, email: str) -> list:
    barrier = threading.Barrier(STEP1_PARALLEL, timeout=30)

    def one(_):
        own = ApiClient(client.base_url, client.key)
        barrier.wait()
        try:
            return own.step1(email=email)
        finally:
            own.session.close()

    with ThreadPoolExecutor(max_workers=STEP1_PARALLEL) as pool:
        return list(pool.map(one, range(STEP1_PARALLEL)))


def test_parallel_step1_requests_of_one_email_run_their_checks_side_by_side(api, slow_step1_check):
    require_postgres()
    # given: a Step 1 check that takes 0.5 s; serialised, 8 requests would take at least 4 s
    client = api()
    client.step1(email="warm-up@example.com")  # the server thread and the key's caches are warm
    client.session.close()

    # when
    started = time.monotonic()
    responses = parallel_step1(client, "anna@example.com")
    elapsed = time.monotonic() - started

    # then: every request made its submission, and the applicant lock did not queue their checks
    assert [r.status_code for r in responses] == [200] * STEP1_PARALLEL, {r.text for r in responses}
    assert len({r.json()["submissionId"] for r in responses}) == STEP1_PARALLEL
    assert Submission.objects.filter(project=client.project, email_key=submission_email_key("anna@example.com")).count() == STEP1_PARALLEL
    assert elapsed < STEP1_PARALLEL * CHECK_SECONDS * 0.75, f"{elapsed:.2f} s: the Step 1 checks ran one by one"


def test_an_email_that_becomes_pending_while_step1_checks_run_is_refused_at_commit(api, slow_step1_check):
    require_postgres()
    # given: Step 1 requests of anna that passed the first guard and are in their checks
    client = api()
    client.step1(email="warm-up@example.com")  # as above; the pipeline then runs cold in no request
    client.session.close()
    slow_step1_check.arrived[0] = 0
    files_before = stored_files()
    slow_step1_check.proceed.clear()
    with ThreadPoolExecutor(max_workers=1) as pool:
        sent = pool.submit(parallel_step1, client, "anna@example.com")
        deadline = time.monotonic() + 30
        while slow_step1_check.arrived[0] < STEP1_PARALLEL and time.monotonic() < deadline:
            time.sleep(0.05)
        # when: meanwhile another submission of anna's is submitted (committed Pending)
        pending = SubmissionFactory(project=client.project, email="anna@example.com",
                                    target_status=SubmissionStatus.PENDING)
        slow_step1_check.proceed.set()
        responses = sent.result(timeout=60)

    # then: each is refused as if it had come after the submit, and leaves no row and no file
    expected = {"statusCode": 400, "errorCode": "reviewing",
                "message": "anna@example.com's KYC is currently reviewing. Please wait."}
    assert slow_step1_check.arrived[0] == STEP1_PARALLEL  # all of them were past the first guard
    assert all(r.json() == expected for r in responses), {r.text for r in responses}
    assert not Submission.objects.filter(project=client.project, email_key=submission_email_key("anna@example.com")) \
        .exclude(pk=pending.pk).exists()
    assert not StoredFile.objects.filter(submission__project=client.project).exclude(
        submission__email_key=submission_email_key("warm-up@example.com")).exists()
    assert stored_files() - files_before <= stored_files_of(pending.submission_id)


def test_the_applicant_lock_blocks_the_same_email_only(make_project):
    require_postgres()
    # given: one thread holds the lock of anna@example.com in an open transaction
    project, _ = make_project()
    other_project, _ = make_project()
    held, release = threading.Event(), threading.Event()

    @in_thread
    def hold():
        with transaction.atomic():
            submission_lock_applicant(project=project, email="anna@example.com")
            held.set()
            release.wait(30)

    @in_thread
    def try_lock(lock_project, email):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '200ms'")
                started = time.monotonic()
                submission_lock_applicant(project=lock_project, email=email)
                return ("locked", time.monotonic() - started)
        except OperationalError as exc:
            return ("timed out", exc)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)

        # when
        with ThreadPoolExecutor(max_workers=1) as pool:
            same = pool.submit(try_lock, project, "anna@example.com").result(timeout=10)
            other_email = pool.submit(try_lock, project, "bob@example.com").result(timeout=10)
            other_project_same_email = pool.submit(try_lock, other_project, "anna@example.com").result(timeout=10)
    finally:
        release.set()
        holder.join(10)

    # then
    assert same[0] == "timed out"
    assert "lock timeout" in str(same[1])
    assert other_email[0] == "locked" and other_email[1] < 0.2
    assert other_project_same_email[0] == "locked"
    # once the holder's transaction ended, the email can be locked again
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(try_lock, project, "anna@example.com").result(timeout=10)[0] == "locked"


def test_two_reviewers_deciding_at_once_one_wins(monkeypatch):
    require_postgres()
    # given: the first decision holds its row lock a while, so the second really waits on it
    submission = SubmissionFactory(target_status=SubmissionStatus.PENDING)
    real_audit_record = review_services.audit_record

    def slow_audit_record(**kwargs):
        time.sleep(0.3)
        return real_audit_record(**kwargs)

    monkeypatch.setattr(review_services, "audit_record", slow_audit_record)
    barrier = threading.Barrier(2, timeout=10)

    @in_thread
    def decide(kind):
        barrier.wait()
        try:
            if kind == "approve":
                review_services.review_approve(submission_id=submission.submission_id, actor=Actor.system("ann"))
            else:
                review_services.review_reject(submission_id=submission.submission_id, actor=Actor.system("bob"),
                                              codes=["id_image_error"])
            return kind
        except SubmissionError as exc:
            return exc

    # when
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(decide, ["approve", "reject"]))

    # then
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if not isinstance(r, str)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].code == ReviewErrorCode.NOT_PENDING
    stored = Submission.objects.get(pk=submission.pk)
    assert stored.status == (SubmissionStatus.APPROVED if winners == ["approve"] else SubmissionStatus.REJECTED)
    assert ReviewDecision.objects.filter(submission=submission).count() == 1
    assert AuditEvent.objects.filter(submission=submission, action__startswith="review_").count() == 1


def test_the_sweep_skips_a_row_another_transaction_holds(make_project):
    require_postgres()
    # given: a timed-out candidate whose row another transaction has locked
    project, _ = make_project(incomplete_timeout_hours=1)
    submission = SubmissionFactory(project=project, retry_count=1)
    Submission.objects.filter(pk=submission.pk).update(last_activity_at=timezone.now() - timedelta(hours=2))
    held, release = threading.Event(), threading.Event()

    @in_thread
    def hold():
        with transaction.atomic():
            Submission.objects.select_for_update().get(pk=submission.pk)
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)

        # when
        with ThreadPoolExecutor(max_workers=1) as pool:
            started = time.monotonic()
            while_locked = pool.submit(in_thread(submission_timeout), submission_pk=submission.pk).result(timeout=10)
            waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(10)
    after_release = submission_timeout(submission_pk=submission.pk)

    # then
    assert while_locked is False and waited < 5
    assert after_release is True
    assert Submission.objects.get(pk=submission.pk).reject_codes == ["timeout"]
