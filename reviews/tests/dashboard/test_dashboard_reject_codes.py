import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.dashboard import dashboard_reject_codes
from submissions.models import Project

from .conftest import at, make_submission

pytestmark = pytest.mark.django_db


def test_count_of_rejections_per_code_most_frequent_first(scenario):
    # when
    rows = dashboard_reject_codes(project_ids=[scenario.a.pk], period=scenario.period)

    # then: ["timeout"], ["id_image_error", "other"], ["other", "timeout"], ["timeout", "timeout"] in the
    # period; a code twice in one submission counts once; duplicate_user was decided before the period.
    assert [(row.code, row.count) for row in rows] == [("timeout", 3), ("other", 2), ("id_image_error", 1)]
    assert rows[0].label == "KYC rejected due to timeout"


def test_other_projects_codes_are_not_counted(scenario):
    # when
    visible = [scenario.a.pk, scenario.c.pk]
    codes = {row.code for row in dashboard_reject_codes(project_ids=visible, period=scenario.period)}

    # then
    assert "under_ageLimit" not in codes
    only_b = dashboard_reject_codes(project_ids=[scenario.b.pk], period=scenario.period)
    assert [(row.code, row.count) for row in only_b] == [("under_ageLimit", 1)]


def test_one_query_whatever_the_number_of_codes(scenario):
    # given
    every_project = list(Project.objects.values_list("pk", flat=True))

    # when
    with CaptureQueriesContext(connection) as queries:
        dashboard_reject_codes(project_ids=every_project, period=scenario.period)

    # then
    assert len(queries) == 1
    unnest = "jsonb_array_elements_text" if connection.vendor == "postgresql" else "json_each"
    assert unnest in queries[0]["sql"]


def test_unknown_code_has_no_label(scenario):
    make_submission(scenario.c, "rejected", created=at(30), decided=at(30), codes=["not_a_code"])
    rows = dashboard_reject_codes(project_ids=[scenario.c.pk], period=scenario.period)
    assert [(row.code, row.label) for row in rows] == [("not_a_code", "")]
