"""Fixtures shared by every app's tests: projects and keys, images, an HTTP client."""

import io
import os
from pathlib import Path

import pytest
import requests
from PIL import Image, ImageDraw

from audit.services import Actor
from submissions.services import api_key_create
from submissions.tests.factories import ProjectFactory

REQUIRE_ALL = os.environ.get("KYC_REQUIRE_ALL") == "1"


def require_system(available: bool, what: str) -> None:
    """Skip a test whose system part is missing, saying so; under KYC_REQUIRE_ALL=1 fail instead."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{what} is required (KYC_REQUIRE_ALL=1) but not available")
    pytest.skip(f"{what} is not available")


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 400), color=(180, 170, 160)) -> bytes:
    """A plain image with some structure, encoded as `fmt`."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((size[0] // 10, size[1] // 5, size[0] // 3, size[1] * 4 // 5), outline=(40, 40, 40), width=3)
    for i in range(4):
        y = size[1] // 5 + i * size[1] // 8
        draw.line((size[0] * 2 // 5, y, size[0] * 9 // 10, y), fill=(30, 30, 30), width=4)
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def repo_test_modules(root: Path) -> set[Path]:
    """Every test module of every app: `<app>/tests/**/test_*.py` (hidden folders such as .venv aside)."""
    return {path for path in root.glob("*/tests/**/test_*.py")
            if not any(part.startswith(".") for part in path.relative_to(root).parts)}


_collected_modules: set[Path] = set()
_uncollected_modules: list[str] = []


def pytest_collectreport(report):
    # Every module pytest looked at reports here, before -k/-m deselection and also when it skipped itself.
    path = report.nodeid.split("::", 1)[0]
    if path.endswith(".py") and "::" not in report.nodeid:
        _collected_modules.add(Path(path))


def pytest_collection_finish(session):
    """A whole-suite run (no paths given) fails if an app's test module was never collected.

    A folder left out of `testpaths` otherwise drops its tests from CI without a word.
    """
    config = session.config
    if config.args_source != pytest.Config.ArgsSource.TESTPATHS:
        return
    root = config.rootpath
    missing = {path.relative_to(root) for path in repo_test_modules(root)} - _collected_modules
    _uncollected_modules[:] = sorted(str(path) for path in missing)


def pytest_terminal_summary(terminalreporter):
    if _uncollected_modules:
        terminalreporter.section("test modules not collected", red=True)
        for path in _uncollected_modules:
            terminalreporter.line(f"{path} (add its app to testpaths in pyproject.toml)", red=True)


def pytest_sessionfinish(session, exitstatus):
    if _uncollected_modules and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _image_checks_only_when_marked(request):
    """Run the image-analysis checks only in tests marked `image_checks`.

    Lifecycle and API-contract tests post plain images and test the rules around the
    pipeline, not OCR; leaving the slow analyses out keeps them fast and independent of
    the checks' calibration. The check tests themselves are marked and run the full registry.
    """
    if request.node.get_closest_marker("image_checks"):
        yield
        return
    from submissions.checks.base import check_registry

    registry = check_registry()
    saved = {step: list(checks) for step, checks in registry.items()}
    for checks in registry.values():
        checks[:] = [check for check in checks if not check.analyses_images]
    yield
    # Checks a test registered for itself were unregistered by its own fixture already
    # (this autouse fixture is set up first, so it is torn down last).
    for step, checks in registry.items():
        checks[:] = saved[step]


@pytest.fixture
def system_actor() -> Actor:
    return Actor.system("test")


@pytest.fixture
def project(db):
    return ProjectFactory()


@pytest.fixture
def make_project(db):
    """make_project(**options) -> (project, raw_api_key)."""

    def make(**options):
        project = ProjectFactory(**options)
        _, raw_key = api_key_create(project=project)
        return project, raw_key

    return make


@pytest.fixture
def jpeg() -> bytes:
    return image_bytes("JPEG")


@pytest.fixture
def png() -> bytes:
    return image_bytes("PNG")


class ApiClient:
    """Real HTTP requests against the live test server, with the project's key."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.session = requests.Session()

    def _headers(self, key):
        key = self.key if key is ... else key
        return {} if key is None else {"x-api-key": key}

    def post_form(self, path: str, data: dict, files: dict | None = None, key=...) -> requests.Response:
        files = {name: (f"{name}.jpg", content, "image/jpeg") for name, content in (files or {}).items()}
        return self.session.post(self.base_url + path, data=data, files=files or None,
                                 headers=self._headers(key), timeout=60)

    def post_json(self, path: str, body, key=...) -> requests.Response:
        return self.session.post(self.base_url + path, json=body, headers=self._headers(key), timeout=60)

    def get(self, path: str, params: dict | None = None, key=...) -> requests.Response:
        return self.session.get(self.base_url + path, params=params, headers=self._headers(key), timeout=60)

    def patch_json(self, path: str, body, key=...) -> requests.Response:
        return self.session.patch(self.base_url + path, json=body, headers=self._headers(key), timeout=60)

    def delete(self, path: str, params: dict | None = None, key=...) -> requests.Response:
        return self.session.delete(self.base_url + path, params=params, headers=self._headers(key), timeout=60)

    def step1(self, *, email="anna@example.com", country="POL", id_type="passport", image=None,
              back=None, key=..., **extra) -> requests.Response:
        data = {"issuingCountry": country, "email": email, "idType": id_type, **extra}
        files = {"idImage": image if image is not None else image_bytes()}
        if back is not None:
            files["idBackImage"] = back
        return self.post_form("/v3/submission/step1", data, files, key=key)

    def step2(self, submission_id: str, *, name="Anna Nowak", date_of_birth="1990-04-12", face=None,
              key=..., files=None, **extra) -> requests.Response:
        data = {"submissionId": submission_id, "name": name, "date_of_birth": date_of_birth, **extra}
        all_files = {"faceImage": face if face is not None else image_bytes(size=(480, 640)), **(files or {})}
        return self.post_form("/v3/submission/step2", data, all_files, key=key)


@pytest.fixture
def api(transactional_db, live_server, make_project):
    """api(**project_options) -> ApiClient bound to a new project; `.project` is the Project.

    transactional_db comes first so the test database exists before the (session-wide)
    live server starts and captures its connection.
    """

    def make(**options) -> ApiClient:
        project, raw_key = make_project(**options)
        client = ApiClient(live_server.url, raw_key)
        client.project = project
        return client

    return make


def assert_error(response, code: str, message: str) -> None:
    """The documented 400 envelope, exactly."""
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "errorCode": code, "message": message}
