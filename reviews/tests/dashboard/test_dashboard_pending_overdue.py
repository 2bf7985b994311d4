import datetime

import pytest

from reviews.dashboard import dashboard_pending_overdue

from .conftest import NOW

pytestmark = pytest.mark.django_db


def test_pending_past_their_own_projects_sla(scenario):
    # given: A (24 h) has Pending for 23 h and 25 h; C (2 h) has one for 3 h; B (not given) one for 90 h
    visible = [scenario.a.pk, scenario.c.pk]

    # when / then
    assert dashboard_pending_overdue(project_ids=visible, now=NOW) == 2
    assert dashboard_pending_overdue(project_ids=[scenario.a.pk], now=NOW) == 1
    assert dashboard_pending_overdue(project_ids=[scenario.c.pk], now=NOW) == 1


def test_the_deadline_moves_with_now(scenario):
    visible = [scenario.a.pk, scenario.c.pk]
    assert dashboard_pending_overdue(project_ids=visible, now=NOW - datetime.timedelta(hours=2)) == 0
    assert dashboard_pending_overdue(project_ids=visible, now=NOW + datetime.timedelta(hours=2)) == 3
