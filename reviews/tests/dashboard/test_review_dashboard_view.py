import datetime
import json
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reviews.choices import DecisionState, ProjectRole
from reviews.models import ProjectMembership
from submissions.choices import SubmissionStatus
from submissions.tests.factories import ProjectFactory

from .conftest import make_review, make_submission

pytestmark = pytest.mark.django_db

URL = "/admin/review/dashboard/"


def member(username: str, *memberships: tuple) -> object:
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-only", is_staff=True)
    for project, role in memberships:
        ProjectMembership.objects.create(user=user, project=project, role=role)
    return user


@pytest.fixture
def today_data(db):
    """Data relative to the real clock (the view uses timezone.now()): A is visible, B is not."""
    now = timezone.now()
    a, b = ProjectFactory(name="Alpha", review_sla_hours=24), ProjectFactory(name="Beta", review_sla_hours=24)
    make_submission(a, SubmissionStatus.APPROVED, created=now, entered=now, decided=now)
    make_submission(a, SubmissionStatus.REJECTED, created=now, decided=now, codes=["timeout", "other"])
    make_submission(a, SubmissionStatus.PENDING, created=now, entered=now - datetime.timedelta(hours=30))
    make_review(a, entered=now - datetime.timedelta(hours=26), hours=26)
    for _ in range(3):
        make_submission(b, SubmissionStatus.REJECTED, created=now, decided=now, codes=["under_ageLimit"])
    make_submission(b, SubmissionStatus.PENDING, created=now, entered=now - datetime.timedelta(hours=50))
    return a, b


@pytest.fixture
def reviewer_of_a(client, today_data):
    a, _ = today_data
    client.force_login(member("rev", (a, ProjectRole.REVIEWER)))
    return client


def test_url_name():
    assert reverse("admin:review_dashboard") == URL


@pytest.mark.parametrize("role", [ProjectRole.OPERATOR, ProjectRole.REVIEWER, ProjectRole.AUDITOR])
def test_every_role_sees_the_dashboard_of_its_projects(client, today_data, role):
    # given
    a, _ = today_data
    client.force_login(member("someone", (a, role)))

    # when
    response = client.get(URL)

    # then
    assert response.status_code == 200
    assert response.context["title"] == "Dashboard"
    assert [p.name for p in response.context["projects"]] == ["Alpha"]


def test_tables_show_only_the_visible_projects_numbers(reviewer_of_a):
    # when
    response = reviewer_of_a.get(URL)

    # then: A has 4 submissions (the reviewed one included), B's 4 are not counted
    html = response.content.decode()
    for table in ("kyc-summary", "kyc-volumes", "kyc-decisions", "kyc-reject-codes", "kyc-review-times"):
        assert f'id="{table}"' in html
    assert response.context["volume_total"] == 4
    decisions = response.context["decisions"]
    assert (decisions.approved, decisions.rejected) == (2, 1)
    assert "66.7%" in html
    assert [(row.code, row.count) for row in response.context["reject_codes"]] == [("other", 1), ("timeout", 1)]
    assert "under_ageLimit" not in html
    assert response.context["review_times"].decided == 1 and response.context["review_times"].sla_breaches == 1
    assert response.context["pending_overdue"] == 1
    assert '<td id="kyc-pending-overdue">1</td>' in html
    assert "<td>—</td>" in html  # days without a review have no median
    assert "Beta" not in html


def test_chart_data_is_json_with_the_tables_numbers(reviewer_of_a):
    # when
    response = reviewer_of_a.get(URL, {"days": 7})

    # then
    data = json.loads(_json_script(response.content.decode()))
    assert data == json.loads(json.dumps(response.context["chart_data"]))
    assert len(data["days"]) == 7 and data["days"][-1] == timezone.localdate().isoformat()
    # today: one approved, one rejected, one pending (the reviewed one was created 26 h ago)
    assert {series["status"]: series["counts"][-1] for series in data["volumes"]} == {
        "incomplete": 0,
        "pending": 1,
        "approved": 1,
        "rejected": 1,
    }
    assert data["decisions"]["approved"][-1] == 2 and data["decisions"]["rejected"][-1] == 1
    assert data["rejectCodes"] == {"codes": ["other", "timeout"], "counts": [1, 1]}
    assert data["reviewTimes"]["breaches"][-1] == 1
    assert data["reviewTimes"]["median"][-1] == pytest.approx(26)


def test_one_project_of_the_user(client, today_data):
    # given: a member of both projects narrows the page to A
    a, b = today_data
    client.force_login(member("both", (a, ProjectRole.AUDITOR), (b, ProjectRole.REVIEWER)))

    # when
    everything = client.get(URL)
    only_a = client.get(URL, {"project": a.pk})

    # then
    assert everything.context["volume_total"] == 8 and everything.context["pending_overdue"] == 2
    assert only_a.context["volume_total"] == 4 and only_a.context["pending_overdue"] == 1
    assert only_a.context["selected_project"] == a
    assert f'<option value="{a.pk}" selected>Alpha</option>' in only_a.content.decode()


@pytest.mark.parametrize("value", ["other", "0", "99999"])
def test_project_not_visible_is_404(reviewer_of_a, today_data, value):
    _, b = today_data
    assert reviewer_of_a.get(URL, {"project": b.pk}).status_code == 404
    assert reviewer_of_a.get(URL, {"project": value}).status_code == 404


@pytest.mark.parametrize(("value", "days"), [("7", 7), ("30", 30), ("90", 90), ("", 30), ("12", 30), ("x", 30)])
def test_days_param(reviewer_of_a, value, days):
    response = reviewer_of_a.get(URL, {"days": value})
    assert response.status_code == 200
    assert response.context["days"] == days and len(response.context["volumes"]) == days


def test_user_without_projects_is_refused(client, today_data):
    client.force_login(member("nobody"))
    assert client.get(URL).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_superuser_sees_every_project(admin_client, today_data):
    response = admin_client.get(URL)
    assert response.status_code == 200
    assert response.context["volume_total"] == 8
    assert {p.name for p in response.context["projects"]} == {"Alpha", "Beta"}


class _ScriptsAndHandlers(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict] = []
        self.handlers: list[tuple[str, str]] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.handlers += [(tag, name) for name in attrs if name.startswith("on")]
        if tag == "script":
            self.scripts.append(attrs)
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_bodies.append(data)


def _json_script(html: str) -> str:
    start = html.index('<script id="kyc-dashboard-data" type="application/json">')
    start = html.index(">", start) + 1
    return html[start : html.index("</script>", start)]


def test_no_inline_script_or_event_handler(reviewer_of_a):
    # when
    html = reviewer_of_a.get(URL).content.decode()

    # then
    parser = _ScriptsAndHandlers()
    parser.feed(html)
    assert parser.scripts, "the page loads its scripts"
    for attrs in parser.scripts:
        assert attrs.get("src") or attrs.get("type") == "application/json", attrs
    assert parser.handlers == []
    assert 'href="javascript:' not in html
    srcs = [attrs["src"] for attrs in parser.scripts if attrs.get("src")]
    assert any(src.endswith("kycreview/vendor/chart.umd.js") for src in srcs)
    assert any(src.endswith("kycreview/dashboard.js") for src in srcs)
    assert all("://" not in src for src in srcs), "no CDN"


def _grow(a, b, *, n: int) -> None:
    """More rows of every kind, over several days and codes."""
    now = timezone.now()
    for i in range(n):
        day = now - datetime.timedelta(days=i % 20, hours=i % 5)
        for project in (a, b):
            make_submission(project, SubmissionStatus.APPROVED, created=day, entered=day, decided=day)
            make_submission(project, SubmissionStatus.REJECTED, created=day, decided=day, codes=[f"code_{i}", "other"])
            make_submission(project, SubmissionStatus.PENDING, created=day, entered=day - datetime.timedelta(hours=i))
            make_review(project, entered=day - datetime.timedelta(hours=i + 1), hours=i + 1)
            make_review(project, entered=day, hours=2, state=DecisionState.CONFIRMED)


@pytest.mark.parametrize("params", [{}, {"days": 90}, {"project": "A"}])
def test_query_count_does_not_grow_with_data(client, today_data, django_assert_max_num_queries, params):
    # given
    a, b = today_data
    client.force_login(member("both", (a, ProjectRole.REVIEWER), (b, ProjectRole.REVIEWER)))
    params = {**params, "project": a.pk} if "project" in params else params
    client.get(URL, params)  # warm-up: sessions, content types

    # when
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL, params).status_code == 200
    _grow(a, b, n=12)
    with django_assert_max_num_queries(len(small)) as large:
        response = client.get(URL, params)

    # then
    assert response.status_code == 200 and len(large) == len(small)
    assert len(response.context["reject_codes"]) > 12
    # session, user, memberships, visible projects, 5 selectors, 2 permission reads of the admin
    # sidebar, and the SAVEPOINT pair of ATOMIC_REQUESTS inside the test transaction
    assert len(small) <= 13, [query["sql"] for query in small.captured_queries]
