"""The automatic reject rules as pure functions, on unsaved instances (no database)."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from reviews.codes import RejectCode
from submissions.models import Project, Submission
from submissions.rules import RuleRejection, age_on, rule_enabled, rules_evaluate, submission_birth_date

TODAY = date(2025, 6, 15)


def noon(day: date) -> datetime:
    """A moment well inside `day` in UTC, whatever the machine's zone."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def make(*, project_options=None, **fields) -> tuple[Submission, Project]:
    project = Project(name="rules", **(project_options or {}))
    fields.setdefault("issuing_country", "POL")
    fields.setdefault("id_type", "passport")
    return Submission(project=project, **fields), project


@pytest.mark.parametrize(("birth", "today", "age"), [
    (date(2000, 6, 15), date(2018, 6, 15), 18),   # the birthday itself
    (date(2000, 6, 16), date(2018, 6, 15), 17),   # the day before
    (date(2000, 1, 1), date(2000, 1, 1), 0),
    (date(1990, 12, 31), date(2025, 1, 1), 34),
    # 29 February: in a common year the birthday is reached on 1 March
    (date(2004, 2, 29), date(2022, 2, 28), 17),
    (date(2004, 2, 29), date(2022, 3, 1), 18),
    (date(2004, 2, 29), date(2024, 2, 28), 19),
    (date(2004, 2, 29), date(2024, 2, 29), 20),
])
def test_age_on(birth, today, age):
    # given / when / then
    assert age_on(birth, today) == age


def test_birth_date_prefers_entered_data_over_extracted_data():
    # given
    submission, _ = make(entered_data={"date_of_birth": "1990-04-12"}, extracted_data={"date_of_birth": "1991-01-01"})
    ocr_only, _ = make(extracted_data={"date_of_birth": "1991-01-01"})
    garbled, _ = make(entered_data={"date_of_birth": "12/04/1990"})

    # when / then
    assert submission_birth_date(submission) == date(1990, 4, 12)
    assert submission_birth_date(ocr_only) == date(1991, 1, 1)
    assert submission_birth_date(garbled) is None


@pytest.mark.parametrize(("custom_options", "enabled"), [
    ({}, True),
    ({"ageLimit": False}, False),
    ({"blacklistCountries": False}, True),
])
def test_rule_enabled_only_false_switches_off(custom_options, enabled):
    # given
    submission, _ = make(custom_options=custom_options)

    # when / then
    assert rule_enabled(submission, "ageLimit") is enabled


def test_no_options_no_rejection():
    # given
    submission, project = make(entered_data={"date_of_birth": "2020-01-01"})

    # when / then
    assert rules_evaluate(submission, project) == []


def test_blacklisted_country():
    # given
    submission, project = make(issuing_country="IRN", project_options={"blacklist_countries": ["PRK", "IRN"]})

    # when
    rejections = rules_evaluate(submission, project)

    # then
    assert rejections == [RuleRejection(RejectCode.BLACKLIST_COUNTRY,
                                        "According to the policy, we do not accept KYC from IRN.")]


def test_blacklisted_country_on_review_edit_uses_the_id_info_code():
    # given
    submission, project = make(issuing_country="IRN", project_options={"blacklist_countries": ["IRN"]})

    # when
    rejections = rules_evaluate(submission, project, on_review_edit=True)

    # then
    assert [r.code for r in rejections] == [RejectCode.ID_INFO_BLACKLIST]
    assert rejections[0].comment == "According to the policy, we do not accept KYC from IRN."


def test_blacklist_switched_off_by_custom_options():
    # given
    submission, project = make(
        issuing_country="IRN", custom_options={"blacklistCountries": False},
        project_options={"blacklist_countries": ["IRN"]},
    )

    # when / then
    assert rules_evaluate(submission, project) == []


@pytest.mark.parametrize(("birth", "rejected"), [
    ("2007-06-16", True),    # 17 until tomorrow
    ("2007-06-15", False),   # 18 today
    ("1950-01-01", False),
])
def test_age_limit(birth, rejected):
    # given
    submission, project = make(entered_data={"date_of_birth": birth}, project_options={"age_limit": 18})

    # when
    with time_machine.travel(noon(TODAY), tick=False):
        rejections = rules_evaluate(submission, project)

    # then
    expected = [RuleRejection(RejectCode.UNDER_AGE_LIMIT, "We do not accept KYC anyone under 18 years old.")]
    assert rejections == (expected if rejected else [])


@pytest.mark.parametrize(("today", "rejected"), [
    (date(2022, 2, 28), True),
    (date(2022, 3, 1), False),
])
def test_age_limit_for_a_29_february_birthday(today, rejected):
    # given
    submission, project = make(entered_data={"date_of_birth": "2004-02-29"}, project_options={"age_limit": 18})

    # when
    with time_machine.travel(noon(today), tick=False):
        rejections = rules_evaluate(submission, project)

    # then
    assert [r.code for r in rejections] == ([RejectCode.UNDER_AGE_LIMIT] if rejected else [])


def test_age_limit_on_review_edit_uses_the_id_info_code():
    # given
    submission, project = make(entered_data={"date_of_birth": "2015-01-01"}, project_options={"age_limit": 21})

    # when
    rejections = rules_evaluate(submission, project, on_review_edit=True)

    # then
    assert rejections == [RuleRejection(RejectCode.ID_INFO_NOT_OF_AGE, "We do not accept KYC anyone under 21 years old.")]


def test_age_limit_switched_off_by_custom_options_or_without_a_birth_date():
    # given
    switched_off, project = make(
        entered_data={"date_of_birth": "2015-01-01"}, custom_options={"ageLimit": False},
        project_options={"age_limit": 18},
    )
    unknown_birth, _ = make(project_options={"age_limit": 18})

    # when / then
    assert rules_evaluate(switched_off, project) == []
    assert rules_evaluate(unknown_birth, project) == []


@pytest.mark.parametrize(("accepted", "country", "id_type", "rejected"), [
    ({"*": ["passport"]}, "POL", "passport", False),
    ({"*": ["passport"]}, "POL", "drivers_license", True),
    ({"*": ["passport"], "KOR": ["government_id"]}, "KOR", "passport", True),
    ({"*": ["passport"], "KOR": ["government_id"]}, "KOR", "government_id", False),
    ({"KOR": ["government_id"]}, "POL", "passport", True),
])
def test_accepted_id_types(accepted, country, id_type, rejected):
    # given
    submission, project = make(issuing_country=country, id_type=id_type,
                               project_options={"accepted_id_types": accepted})

    # when
    rejections = rules_evaluate(submission, project)

    # then
    assert [r.code for r in rejections] == ([RejectCode.INVALID_ACCEPTED_ID] if rejected else [])


def test_an_undetected_id_type_is_not_judged():
    # given
    submission, project = make(id_type="", project_options={"accepted_id_types": {"*": ["passport"]}})

    # when / then
    assert rules_evaluate(submission, project) == []


def test_every_broken_rule_in_table_order():
    # given
    submission, project = make(
        issuing_country="PRK", id_type="drivers_license", entered_data={"date_of_birth": "2015-01-01"},
        project_options={"blacklist_countries": ["PRK"], "age_limit": 18, "accepted_id_types": {"*": ["passport"]}},
    )

    # when
    rejections = rules_evaluate(submission, project)

    # then
    assert [r.code for r in rejections] == [
        RejectCode.BLACKLIST_COUNTRY, RejectCode.UNDER_AGE_LIMIT, RejectCode.INVALID_ACCEPTED_ID,
    ]
