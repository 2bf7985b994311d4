import statistics

import pytest

from reviews.dashboard import dashboard_review_times

pytestmark = pytest.mark.django_db


def percentile_cont(values: list[float], fraction: float) -> float:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def test_reference_percentile_matches_statistics():
    values = [1, 2, 3, 30, 24, 48]
    assert percentile_cont(values, 0.5) == statistics.median(values)
    assert percentile_cont(values, 0.9) == pytest.approx(statistics.quantiles(values, n=10, method="inclusive")[8])


def test_median_p90_and_breaches_per_day(reviews_scenario):
    # when
    times = dashboard_review_times(project_ids=[reviews_scenario.a.pk], period=reviews_scenario.period)

    # then
    assert [day.day for day in times.days] == reviews_scenario.period.days
    by_day = {day.day.day: day for day in times.days}
    may30, may31 = by_day[30], by_day[31]
    assert may30.decided == 4
    assert may30.median_hours == pytest.approx(2.5)
    assert may30.p90_hours == pytest.approx(21.9)  # 3 + 0.7 * (30 - 3)
    assert may30.sla_breaches == 1  # 30 h > 24 h
    assert may31.decided == 2
    assert may31.median_hours == pytest.approx(36)
    assert may31.p90_hours == pytest.approx(45.6)  # 24 + 0.9 * (48 - 24)
    assert may31.sla_breaches == 1  # exactly 24 h is within the SLA
    assert all(by_day[d].decided == 0 and by_day[d].median_hours is None for d in (25, 26, 27, 28, 29))


def test_whole_period(reviews_scenario):
    # when
    times = dashboard_review_times(project_ids=[reviews_scenario.a.pk], period=reviews_scenario.period)

    # then
    hours = [1, 2, 3, 30, 24, 48]
    assert times.decided == 6 and times.sla_breaches == 2
    assert times.overall.median_hours == pytest.approx(percentile_cont(hours, 0.5)) == pytest.approx(13.5)
    assert times.overall.p90_hours == pytest.approx(percentile_cont(hours, 0.9)) == pytest.approx(39)


def test_other_projects_are_not_counted(reviews_scenario):
    # when
    visible = [reviews_scenario.a.pk, reviews_scenario.c.pk]
    times = dashboard_review_times(project_ids=visible, period=reviews_scenario.period)

    # then: B's 500-hour review is left out
    assert times.decided == 6 and times.overall.p90_hours == pytest.approx(39)


def test_nothing_reviewed(reviews_scenario):
    # when
    times = dashboard_review_times(project_ids=[reviews_scenario.c.pk], period=reviews_scenario.period)

    # then
    assert times.decided == 0 and times.sla_breaches == 0 and times.overall.median_hours is None
    assert all(day.decided == 0 and day.p90_hours is None for day in times.days)
