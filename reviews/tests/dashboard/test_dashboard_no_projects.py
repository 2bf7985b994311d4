import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.dashboard import (
    dashboard_decisions,
    dashboard_pending_overdue,
    dashboard_reject_codes,
    dashboard_review_times,
    dashboard_volumes,
)

from .conftest import NOW

pytestmark = pytest.mark.django_db


def test_no_project_gives_empty_numbers_without_error(scenario):
    # when: a superuser on an installation without projects
    with CaptureQueriesContext(connection) as queries:
        volumes = dashboard_volumes(project_ids=[], period=scenario.period)
        decisions = dashboard_decisions(project_ids=[], period=scenario.period)
        codes = dashboard_reject_codes(project_ids=[], period=scenario.period)
        times = dashboard_review_times(project_ids=[], period=scenario.period)
        overdue = dashboard_pending_overdue(project_ids=[], now=NOW)

    # then
    assert len(volumes) == 7 and all(volume.total == 0 for volume in volumes)
    assert decisions.decided == 0 and codes == [] and overdue == 0
    assert len(times.days) == 7 and times.decided == 0 and times.overall.median_hours is None
    assert len(queries) == 0
