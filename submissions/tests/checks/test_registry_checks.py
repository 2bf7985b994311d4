"""fake_id, feature_verification_failed and invalid_id in the Step 1 pipeline and over HTTP.

Registries are filled through the documents services, documents come from the generator. Rates
over larger corpora: verification.evaluation_registry (docs/checks/registry.md).
"""

import json

import numpy as np
import pytest

from audit.services import Actor
from documents.services import invalidated_document_add, specimen_add, template_add
from submissions.checks import check_list, pipeline_run
from submissions.checks.base import CheckContext
from submissions.choices import CheckOutcome, FileKind, Step
from submissions.codes import Step1ErrorCode, Step1RetryCode
from submissions.images import image_read_bytes
from submissions.models import CheckResult
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from verification.tests.registry_samples import HTTP_COUNTRIES, ID_TYPES, KINDS, document

REGISTRY_CHECKS = ("fake_id", "feature_verification", "invalid_id")
MY_CODES = {"fake_id", "feature_verification_failed", "invalid_id", "id_liveness_fail", "id_liveness_error"}
SYSTEM = Actor.system("test")

pytestmark = pytest.mark.image_checks


def checks_named(*names):
    return [check for check in check_list(Step.STEP1) if check.name in names]


def context(doc, *, id_type: str | None = None, country: str | None = None, **options) -> CheckContext:
    project = ProjectFactory(**{"id_card_validation": True, **options})
    id_type = id_type or ID_TYPES[doc.kind]
    submission = SubmissionFactory(project=project, step1_done=False, requested_id_type=id_type, id_type=id_type,
                                   issuing_country=country or doc.country)
    images = {FileKind.ID_FRONT: image_read_bytes(doc.front)}
    if doc.back is not None:
        images[FileKind.ID_BACK] = image_read_bytes(doc.back)
    return CheckContext(submission=submission, project=project, step=Step.STEP1, images=images)


def run(doc, *names, **kwargs):
    ctx = context(doc, **kwargs)
    return ctx, pipeline_run(ctx, checks=checks_named(*(names or REGISTRY_CHECKS)))


def retry_codes(outcome) -> set[str]:
    return {finding.code.value for finding in outcome.retry}


def run_of(outcome, name):
    return next(run for run in outcome.runs if run.check_name == name)


def test_the_checks_are_registered_image_checks_answering_their_codes():
    checks = {check.name: check for check in check_list(Step.STEP1)}
    assert checks["fake_id"].codes == (Step1RetryCode.FAKE_ID,)
    assert checks["feature_verification"].codes == (Step1RetryCode.FEATURE_VERIFICATION_FAILED,)
    assert checks["invalid_id"].codes == (Step1ErrorCode.INVALID_ID,)
    for name in REGISTRY_CHECKS:
        assert checks[name].analyses_images and checks[name].fault_code == Step1ErrorCode.ID_VALIDATION_ERROR
    names = [check.name for check in check_list(Step.STEP1)]
    # after the document checks, which extract the document number invalid_id looks up
    assert names.index("mrz") < names.index("invalid_id") and names.index("barcode") < names.index("invalid_id")


# -- fake_id -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_recaptured_specimen_is_fake_id_and_a_genuine_document_is_not(kind):
    # given the kind's published specimen registered
    specimen = specimen_add(country=document(kind, 0, ("specimen",)).country, id_type=ID_TYPES[kind],
                            image=document(kind, 0, ("specimen",)).front, actor=SYSTEM)
    # when the specimen is submitted again, photographed with glare
    doc = document(kind, 0, ("specimen", "glare"))
    _, outcome = run(doc, "fake_id")
    # then fake_id, naming the registry entry, with the document outline in stored-image pixels
    assert retry_codes(outcome) == {"fake_id"}
    report = run_of(outcome, "fake_id").report
    nearest = report.evidence["front"]["nearest"]
    assert nearest["specimen_id"] == specimen.pk and nearest["is_specimen"]
    assert report.score <= report.threshold
    truth = np.array(doc.truth["regions"]["document_quad"])
    assert np.abs(np.array(report.evidence["front"]["document_quad"]) - truth).max() < 40
    json.dumps(report.evidence)
    # and a genuine document of the same kind and issuer passes
    _, outcome = run(document(kind, 5), "fake_id")
    assert outcome.retry == [] and run_of(outcome, "fake_id").outcome == CheckOutcome.PASSED
    assert run_of(outcome, "fake_id").report.score > run_of(outcome, "fake_id").report.threshold


@pytest.mark.django_db
def test_fake_id_with_an_empty_registry_is_not_judged():
    _, outcome = run(document("passport", 0, ("specimen",)), "fake_id")
    assert outcome.retry == [] and run_of(outcome, "fake_id").report.evidence["judged"] is False


@pytest.mark.django_db
def test_fake_id_needs_id_card_validation():
    specimen_add(country="UTO", id_type="passport", image=document("passport", 0, ("specimen",)).front, actor=SYSTEM)
    _, outcome = run(document("passport", 0, ("specimen",)), "fake_id", id_card_validation=False)
    assert outcome.runs == []


# -- feature_verification_failed -----------------------------------------------------------------------


@pytest.fixture
def uto_id_card_template(db):
    return template_add(country="UTO", id_type="government_id", image=document("id_card", 10, country="UTO").front,
                        actor=SYSTEM)


@pytest.mark.django_db
def test_a_genuine_document_matches_its_registered_layout(uto_id_card_template):
    # a genuine UTO ID card of another holder, same layout
    doc = document("id_card", 11, country="UTO")
    _, outcome = run(doc, "feature_verification")
    result = run_of(outcome, "feature_verification")
    assert outcome.retry == [] and result.outcome == CheckOutcome.PASSED
    assert result.report.score >= result.report.threshold
    evidence = result.report.evidence["front"]
    assert evidence["best_template_id"] == uto_id_card_template.pk
    # the template's outline lands on the document in the stored image
    truth = np.array(doc.truth["regions"]["document_quad"])
    assert np.abs(np.array(evidence["matched_outline"]) - truth).max() < 60


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["drivers_license", "passport"])
def test_another_layout_submitted_as_the_registered_type_fails(uto_id_card_template, kind):
    # a driving licence front (or a passport page) submitted as a UTO government ID
    _, outcome = run(document(kind, 12), "feature_verification", id_type="government_id", country="UTO")
    assert retry_codes(outcome) == {"feature_verification_failed"}
    report = run_of(outcome, "feature_verification").report
    assert report.score < report.threshold and str(uto_id_card_template.pk) in report.evidence["front"]["templates"]


@pytest.mark.django_db
def test_without_a_template_for_the_country_and_type_the_check_does_not_apply(uto_id_card_template):
    _, outcome = run(document("passport", 12), "feature_verification")  # UTO passport: no template
    report = run_of(outcome, "feature_verification").report
    assert outcome.retry == [] and report.score is None
    assert report.evidence["judged"] is False and "no template registered" in report.evidence["reason"]


# -- invalid_id ----------------------------------------------------------------------------------------


def run_with_number(number: str | None, *, kind="passport", **options):
    ctx = context(document(kind, 3), **options)
    if number is not None:
        ctx.extracted["document_number"] = number
    return pipeline_run(ctx, checks=checks_named("invalid_id"))


@pytest.mark.django_db
@pytest.mark.parametrize("validation", [True, False])
def test_an_invalidated_number_answers_invalid_id_whatever_the_options(validation):
    invalidated_document_add(country="UTO", number_or_prefix="ab123 4567", reason="stolen", actor=SYSTEM)
    outcome = run_with_number("AB1234567", id_card_validation=validation)
    assert outcome.error is not None and outcome.error.code == Step1ErrorCode.INVALID_ID
    assert str(outcome.error) == "Invalid ID. Please resubmit with another ID."
    assert run_of(outcome, "invalid_id").outcome == CheckOutcome.ERROR


@pytest.mark.django_db
def test_a_number_in_an_invalidated_series_answers_invalid_id():
    invalidated_document_add(country="UTO", number_or_prefix="ZX9*", reason="blank booklets stolen",
                             id_type="passport", actor=SYSTEM)
    outcome = run_with_number("ZX9000123")
    assert outcome.error.code == Step1ErrorCode.INVALID_ID
    evidence = run_of(outcome, "invalid_id").report.evidence
    assert (evidence["match"], evidence["registered"], evidence["reason"]) == ("prefix", "ZX9", "blank booklets stolen")
    # the series was registered for passports only
    assert run_with_number("ZX9000123", kind="id_card").error is None


@pytest.mark.django_db
def test_an_unlisted_or_unread_number_passes():
    invalidated_document_add(country="UTO", number_or_prefix="AB1234567", reason="stolen", actor=SYSTEM)
    listed = run_with_number("AB1234568")
    assert listed.error is None and run_of(listed, "invalid_id").report.evidence["listed"] is False
    unread = run_with_number(None)
    assert unread.error is None and run_of(unread, "invalid_id").report.evidence["judged"] is False


@pytest.mark.django_db
def test_invalid_id_reads_the_number_from_the_mrz():
    # given a passport whose number is invalidated
    doc = document("passport", 6)
    invalidated_document_add(country="UTO", number_or_prefix=doc.truth["document_number"], reason="lost",
                             actor=SYSTEM)
    # when the MRZ check and the registry check run
    ctx = context(doc)
    outcome = pipeline_run(ctx, checks=checks_named("mrz", "invalid_id"))
    # then the number the MRZ check extracted is found
    assert ctx.extracted["document_number"] == doc.truth["document_number"]
    assert outcome.error is not None and outcome.error.code == Step1ErrorCode.INVALID_ID


# -- a genuine capture ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_a_genuine_capture_gets_none_of_the_registry_codes_with_full_registries(kind):
    # given every registry in use: the kind's specimen, a template of its layout, other invalidated numbers
    doc = document(kind, 7)
    specimen_add(country=doc.country, id_type=ID_TYPES[kind], image=document(kind, 0, ("specimen",)).front,
                 actor=SYSTEM)
    template_add(country=doc.country, id_type=ID_TYPES[kind], image=document(kind, 8).front, actor=SYSTEM)
    invalidated_document_add(country=doc.country, number_or_prefix="Q1*", reason="series", actor=SYSTEM)
    # when the registry checks run after the document number was read
    ctx = context(doc, attack_prevention=True)
    ctx.extracted["document_number"] = doc.truth["document_number"]
    outcome = pipeline_run(ctx, checks=checks_named(*REGISTRY_CHECKS, "id_liveness"))
    # then none answers, and each recorded why
    assert outcome.error is None and outcome.retry == [], [(r.check_name, r.report.evidence) for r in outcome.runs]
    assert [r.check_name for r in outcome.runs] == [*REGISTRY_CHECKS, "id_liveness"]
    assert all(r.outcome == CheckOutcome.PASSED for r in outcome.runs)


# -- HTTP ----------------------------------------------------------------------------------------------


def answered(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["retryCode"] for item in response.json().get("retry", [])}


def test_http_step1_answers_fake_id_for_a_registered_specimen(api):
    client = api(id_card_validation=True)
    specimen_doc = document("passport", 0, ("specimen",), country="POL")
    specimen = specimen_add(country="POL", id_type="passport", image=specimen_doc.front, actor=SYSTEM)
    response = client.step1(image=document("passport", 0, ("specimen", "glare"), country="POL").front,
                            country="POL", id_type="passport")
    assert "fake_id" in answered(response)
    item = next(item for item in response.json()["retry"] if item["retryCode"] == "fake_id")
    assert item["retryMsg"] == "Please retry with original ID"
    result = CheckResult.objects.get(submission__submission_id=response.json()["submissionId"], check_name="fake_id")
    assert result.outcome == CheckOutcome.RETRY and result.evidence["front"]["nearest"]["specimen_id"] == specimen.pk


def test_http_step1_answers_feature_verification_failed_for_another_layout(api):
    client = api(id_card_validation=True)
    template_add(country="POL", id_type="government_id", image=document("id_card", 10, country="POL").front,
                 actor=SYSTEM)
    licence = document("drivers_license", 12)
    response = client.step1(image=licence.front, back=licence.back, country="POL", id_type="government_id")
    assert "feature_verification_failed" in answered(response)
    item = next(item for item in response.json()["retry"] if item["retryCode"] == "feature_verification_failed")
    assert item["retryMsg"] == "Please retry with original ID"


def test_http_step1_answers_invalid_id_for_an_invalidated_passport(api):
    client = api()  # no option needed: a 400 registry code is not gated
    doc = document("passport", 6, country=HTTP_COUNTRIES["passport"])
    invalidated_document_add(country="POL", number_or_prefix=doc.truth["document_number"], reason="stolen",
                             actor=SYSTEM)
    response = client.step1(image=doc.front, country="POL", id_type="passport")
    assert response.status_code == 400, response.text
    assert response.json() == {"statusCode": 400, "errorCode": "invalid_id",
                               "message": "Invalid ID. Please resubmit with another ID."}


@pytest.mark.parametrize("kind", ["passport", "id_card"])
def test_http_step1_genuine_capture_with_registries_answers_none_of_these_codes(api, kind):
    client = api(id_card_validation=True, attack_prevention=True)
    country = HTTP_COUNTRIES[kind]
    specimen_add(country=country, id_type=ID_TYPES[kind], image=document(kind, 0, ("specimen",), country=country).front,
                 actor=SYSTEM)
    template_add(country=country, id_type=ID_TYPES[kind], image=document(kind, 8, country=country).front, actor=SYSTEM)
    doc = document(kind, 9, country=country)
    response = client.step1(image=doc.front, back=doc.back, country=country, id_type=ID_TYPES[kind])
    assert answered(response).isdisjoint(MY_CODES), response.text
    results = CheckResult.objects.filter(submission__submission_id=response.json()["submissionId"],
                                         check_name__in=[*REGISTRY_CHECKS, "id_liveness"])
    assert {r.check_name: r.outcome for r in results} == dict.fromkeys([*REGISTRY_CHECKS, "id_liveness"],
                                                                       CheckOutcome.PASSED)
