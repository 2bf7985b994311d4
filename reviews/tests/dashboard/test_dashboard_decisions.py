import pytest

from reviews.dashboard import dashboard_decisions

pytestmark = pytest.mark.django_db


def test_decisions_per_day_and_approval_rate(scenario):
    # when
    summary = dashboard_decisions(project_ids=[scenario.a.pk], period=scenario.period)

    # then: approved 05-29, 05-30, 05-31; rejected 05-26, 05-27, 05-30, 05-31 (decided_at, not created_at)
    assert [day.day for day in summary.days] == scenario.period.days
    assert {day.day.day: (day.approved, day.rejected) for day in summary.days} == {
        25: (0, 0),
        26: (0, 1),
        27: (0, 1),
        28: (0, 0),
        29: (1, 0),
        30: (1, 1),
        31: (1, 1),
    }
    assert (summary.approved, summary.rejected, summary.decided) == (3, 4, 7)
    assert summary.approval_rate == pytest.approx(3 / 7)
    assert summary.approval_percent == pytest.approx(300 / 7)
    assert summary.days[5].approval_rate == 0.5 and summary.days[0].approval_rate is None


def test_no_decision_gives_no_rate(scenario):
    # when
    summary = dashboard_decisions(project_ids=[scenario.c.pk], period=scenario.period)

    # then
    assert summary.decided == 0 and summary.approval_rate is None and summary.approval_percent is None


def test_other_projects_are_not_counted(scenario):
    # when
    summary = dashboard_decisions(project_ids=[scenario.b.pk], period=scenario.period)

    # then: B alone, to show that A's numbers above exclude it
    assert (summary.approved, summary.rejected) == (1, 1)
