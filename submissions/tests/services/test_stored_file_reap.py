"""A worker killed in the middle of Step 1 or Step 2 leaves nothing the reaper cannot find (issue 14 item 18).

The kill is real: a gunicorn serves the request on the test database and storage, its worker is
held at a chosen point (`crash_app.py`) and SIGKILLed there; then `stored_file_reap` runs and no
file without a row, and no row without a file, may remain. PostgreSQL only: the gunicorn worker
must see what this process commits. The reaper's own rules are tested on any database.
"""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from audit.services import Actor
from conftest import image_bytes, require_system
from kycreview.tests.processes import free_port, wait_for
from submissions.models import StoredFile, Submission
from submissions.services import (
    STORED_FILE_PENDING_DIR,
    stored_file_pending_marker,
    stored_file_reap,
    submission_step1,
)
from submissions.tests.apis.helpers import media_files

BASE_DIR = Path(__file__).resolve().parents[3]
WAIT_SECONDS = 120


def images_on_disk() -> set[str]:
    return {name for name in media_files() if name.startswith("submissions/")}


def markers_on_disk() -> set[str]:
    return {name for name in media_files() if name.startswith(f"{STORED_FILE_PENDING_DIR}/")}


def assert_files_and_rows_agree(before: set[str] = frozenset()) -> None:
    """The images written since `before` (other tests share the storage) are exactly the rows' files."""
    rows = set(StoredFile.objects.values_list("file", flat=True))
    assert images_on_disk() - before == rows - before, "a file without a row, or a row without a file"
    assert all(default_storage.exists(name) for name in rows), "a row without a file"


def storage_settled() -> set[str]:
    """Reap what earlier tests left (their rolled-back rows never ran on_commit); the images then on disk."""
    stored_file_reap(older_than=timedelta(0))
    assert markers_on_disk() == set()
    return images_on_disk()


def write_marked(name: str, data: bytes = b"sealed") -> None:
    default_storage.save(stored_file_pending_marker(name), ContentFile(name.encode()))
    default_storage.save(name, ContentFile(data))


def age(name: str, seconds: int) -> None:
    path = default_storage.path(name)
    then = time.time() - seconds
    os.utime(path, (then, then))


# -- the reaper's rules -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reaper_deletes_an_uncommitted_image_and_keeps_a_committed_one(step1_input, system_actor, project):
    answer = submission_step1(project=project, actor=system_actor, data=step1_input())
    committed = StoredFile.objects.get(submission=answer.submission).file.name
    write_marked(committed)  # as if killed after the commit, before the marker was deleted
    orphan = f"submissions/{answer.submission.submission_id}/id_front-deadbeefdeadbeef.jpg"
    write_marked(orphan)
    for name in (committed, orphan):
        age(stored_file_pending_marker(name), 7200)

    assert stored_file_reap() == 1

    assert not default_storage.exists(orphan) and default_storage.exists(committed)
    assert not default_storage.exists(stored_file_pending_marker(orphan))
    assert not default_storage.exists(stored_file_pending_marker(committed))


@pytest.mark.django_db
def test_the_reaper_leaves_a_request_in_flight_alone(settings):
    settings.KYC_STORED_FILE_REAP_AFTER = timedelta(hours=1)
    name = "submissions/in-flight/id_front-0123456789abcdef.jpg"
    write_marked(name)
    age(stored_file_pending_marker(name), 600)  # ten minutes: a slow request, not a dead one
    assert stored_file_reap() == 0
    assert default_storage.exists(name) and default_storage.exists(stored_file_pending_marker(name))
    default_storage.delete(name)
    default_storage.delete(stored_file_pending_marker(name))


@pytest.mark.django_db
def test_a_marker_that_names_another_file_deletes_nothing_but_itself():
    victim = "submissions/someone/id_front-0123456789abcdef.jpg"
    default_storage.save(victim, ContentFile(b"sealed"))
    forged = f"{STORED_FILE_PENDING_DIR}/{'0' * 64}"
    default_storage.save(forged, ContentFile(victim.encode()))
    age(forged, 7200)
    assert stored_file_reap() == 0
    assert default_storage.exists(victim) and not default_storage.exists(forged)
    default_storage.delete(victim)


def test_a_committed_request_leaves_no_marker(api):
    client = api()
    response = client.step1()
    assert response.status_code == 200, response.text
    [stored] = StoredFile.objects.filter(submission__submission_id=response.json()["submissionId"])
    assert default_storage.exists(stored.file.name)
    assert not default_storage.exists(stored_file_pending_marker(stored.file.name))


# -- a real kill -----------------------------------------------------------------------------------


def gunicorn_database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class HeldGunicorn:
    """A one-worker gunicorn on the test database and storage whose worker holds at `point`."""

    def __init__(self, tmp_path: Path, point: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.flag = tmp_path / f"held-{point}"
        self.log = tmp_path / f"gunicorn-{point}.log"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kycreview.settings.test",
               "DATABASE_URL": gunicorn_database_url(), "KYC_TEST_MEDIA_ROOT": str(default_storage.location),
               "KYC_TEST_PAUSE_AT": point, "KYC_TEST_PAUSE_FLAG": str(self.flag)}
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [gunicorn, "submissions.tests.services.crash_app:application", "-b", f"127.0.0.1:{self.port}",
                 "-w", "1", "--timeout", "600"],
                cwd=BASE_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
        wait_for(lambda: b"Booting worker" in self.log.read_bytes() or self.process.poll() is not None,
                 "gunicorn starting", seconds=WAIT_SECONDS)
        assert self.process.poll() is None, self.log.read_text()

    def send(self, path: str, key: str, data: dict, files: dict) -> threading.Thread:
        def post():
            try:
                requests.post(self.url + path, data=data, files=files, headers={"x-api-key": key}, timeout=300)
            except requests.RequestException:
                pass  # the worker dies under it: that is the point

        thread = threading.Thread(target=post, daemon=True)
        thread.start()
        return thread

    def kill_held_worker(self) -> None:
        pid = int(wait_for(lambda: self.flag.exists() and self.flag.read_text(), "the worker reaching its hold",
                             seconds=WAIT_SECONDS))
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: b"SIGKILL" in self.log.read_bytes() or b"was sent SIGKILL" in self.log.read_bytes()
                 or not Path(f"/proc/{pid}").exists(), "the worker dying", seconds=WAIT_SECONDS)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def held_gunicorn(transactional_db, tmp_path):
    require_system(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL) shared with a gunicorn worker")
    require_system(shutil.which(str(Path(sys.executable).with_name("gunicorn"))) is not None, "gunicorn")
    started = []

    def start(point: str) -> HeldGunicorn:
        server = HeldGunicorn(tmp_path, point)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


STEP1_FORM = {"issuingCountry": "POL", "email": "anna@example.com", "idType": "passport"}


@pytest.mark.postgres
@pytest.mark.parametrize("point", ["pipeline_run"], ids=["after-the-image-is-written"])
def test_a_worker_killed_in_step1_leaves_nothing_after_the_reaper(held_gunicorn, make_project, point):
    project, key = make_project()
    before = storage_settled()
    server = held_gunicorn(point)
    server.send("/v3/submission/step1", key, STEP1_FORM, {"idImage": image_bytes()})
    server.kill_held_worker()

    assert len(images_on_disk() - before) == 1 and not Submission.objects.exists()  # the audit's orphan, for real
    assert stored_file_reap(older_than=timedelta(0)) == 1
    assert images_on_disk() == before and markers_on_disk() == set()
    assert_files_and_rows_agree(before)


@pytest.mark.postgres
def test_a_worker_killed_after_its_commit_keeps_its_image(held_gunicorn, make_project):
    project, key = make_project()
    before = storage_settled()
    server = held_gunicorn("_stored_file_markers_clear")
    server.send("/v3/submission/step1", key, STEP1_FORM, {"idImage": image_bytes()})
    server.kill_held_worker()

    assert StoredFile.objects.count() == 1 and len(markers_on_disk()) == 1
    assert stored_file_reap(older_than=timedelta(0)) == 0
    assert markers_on_disk() == set() and len(images_on_disk() - before) == 1
    assert_files_and_rows_agree(before)


@pytest.mark.postgres
def test_a_worker_killed_in_step2_leaves_nothing_after_the_reaper(held_gunicorn, make_project, step1_input):
    project, key = make_project()
    submission = submission_step1(project=project, actor=Actor.system("test"), data=step1_input()).submission
    before = storage_settled()
    server = held_gunicorn("pipeline_run")
    server.send("/v3/submission/step2", key,
                {"submissionId": submission.submission_id, "name": "Anna Nowak", "date_of_birth": "1990-04-12"},
                {"faceImage": image_bytes(size=(480, 640))})
    server.kill_held_worker()

    assert len(images_on_disk() - before) == 1  # the selfie, with no row
    assert stored_file_reap(older_than=timedelta(0)) == 1
    assert images_on_disk() == before and markers_on_disk() == set()
    assert_files_and_rows_agree(before - set(StoredFile.objects.values_list("file", flat=True)))
