import datetime

import pytest

from reviews.dashboard import dashboard_volumes

pytestmark = pytest.mark.django_db


def test_volumes_per_day_by_current_status(scenario):
    # when
    volumes = dashboard_volumes(project_ids=[scenario.a.pk], period=scenario.period)

    # then
    assert [volume.day for volume in volumes] == scenario.period.days
    by_day = {volume.day.day: volume.counts for volume in volumes}
    zero = {"incomplete": 0, "pending": 0, "approved": 0, "rejected": 0}
    assert by_day == {
        25: {**zero, "pending": 1},
        26: zero,
        27: zero,
        28: zero,
        29: zero,
        30: {**zero, "incomplete": 1, "pending": 1, "approved": 2},
        31: {**zero, "rejected": 1},
    }
    assert sum(volume.total for volume in volumes) == 6


def test_volumes_count_only_the_given_projects(scenario):
    # when
    volumes = dashboard_volumes(project_ids=[scenario.a.pk, scenario.c.pk], period=scenario.period)

    # then: C adds its Pending of 05-31; B's three submissions are not counted
    last = volumes[-1]
    assert last.day == datetime.date(2024, 5, 31)
    assert last.counts == {"incomplete": 0, "pending": 1, "approved": 0, "rejected": 1}
    assert sum(volume.total for volume in volumes) == 7
