import datetime

from reviews.dashboard import dashboard_period

from .conftest import NOW, at


def test_period_is_the_last_n_calendar_days_today_included():
    # when
    period = dashboard_period(days=7, now=NOW)

    # then
    assert period.first_day == datetime.date(2024, 5, 25) and period.last_day == datetime.date(2024, 5, 31)
    assert period.start == at(25, 0) and period.end == at(1, 0, month=6)
    assert len(period.days) == 7 and period.days[0] == period.first_day and period.days[-1] == period.last_day


def test_period_of_30_days():
    assert len(dashboard_period(days=30, now=NOW).days) == 30
