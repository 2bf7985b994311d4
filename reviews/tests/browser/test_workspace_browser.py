"""The review workspace in a real browser: Debian's Chromium driven by Playwright against a live server.

Log in, open the queue, claim a case, see the evidence on the image, approve with the keyboard,
reject with codes and an edited message, edit a birth date into an under-age rejection, and
four-eyes: one reviewer proposes, another confirms. `KYC_WRITE_SCREENSHOTS=1` (`make screenshots`)
saves the queue and the case page into docs/screenshots/ for the README.
"""

import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from audit.services import Actor
from conftest import require_system
from reviews.models import ProjectMembership, ReviewDecision
from submissions.choices import SubmissionStatus
from submissions.images import image_read_bytes
from submissions.inputs import Step1Input, Step2Input
from submissions.management.commands._demo_images import id_document_images
from submissions.models import Submission
from submissions.services import submission_step1, submission_step2
from submissions.tests.factories import ProjectFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser, pytest.mark.image_checks]

PASSWORD = "a-long-browser-test-password"
CHROMIUM = next((p for p in (os.environ.get("KYC_CHROMIUM", ""), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                             shutil.which("chromium") or "") if p and Path(p).exists()), None)
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
SYSTEM = Actor.system("browser test")

APPLICANTS = [
    # surname, given names, birth, sex, document number, email
    ("SAMPLE", "JANE", date(1990, 4, 12), "F", "XR1234567", "jane.sample@example.com"),
    ("KOWALSKI", "PIOTR", date(1984, 9, 2), "M", "ZK7720451", "piotr.kowalski@example.com"),
    ("NOWAK", "ANNA", date(1995, 1, 30), "F", "EN4410987", "anna.nowak@example.com"),
]


@pytest.fixture(scope="module")
def playwright_browser():
    require_system(CHROMIUM is not None, "Chromium (Debian packages chromium and chromium-driver)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still synchronous and safe, which Django cannot tell.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def project():
    return ProjectFactory(name="Acme wallet", age_limit=18, id_card_validation=True)


def member(username: str, project, role: str = "reviewer"):
    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    ProjectMembership.objects.create(user=user, project=project, role=role)
    return user


def case(project, index: int) -> Submission:
    """A Pending submission made by the real Step 1 and Step 2 from a generated passport and selfie."""
    surname, given, birth, sex, number, email = APPLICANTS[index]
    document = id_document_images(id_type="passport", country="POL", surname=surname, given_names=given,
                                  birth_date=birth, sex=sex, document_number=number, seed=index + 1)
    with transaction.atomic():
        step1 = submission_step1(project=project, actor=SYSTEM, data=Step1Input(
            issuing_country="POL", email=email, id_type="passport", id_image=image_read_bytes(document.front),
            id_back_image=None))
    assert not step1.retry, step1.retry
    with transaction.atomic():
        step2 = submission_step2(project=project, actor=SYSTEM, data=Step2Input(
            submission_id=step1.submission.submission_id, face_image=image_read_bytes(document.selfie),
            name=f"{given.title()} {surname.title()}", date_of_birth=birth, fields={"document_number": number}))
    assert not step2.retry, step2.retry
    submission = Submission.objects.get(pk=step1.submission.pk)
    assert submission.status == SubmissionStatus.PENDING
    return submission


def logged_in(browser, live_server, username: str):
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    # Every page runs under the Content-Security-Policy: Chromium reports a blocked script or
    # style on the console. The tests assert there is none.
    page.csp_violations = []
    page.on("console", lambda message: page.csp_violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/review/queue/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/review/queue/")
    return page


def case_page(browser, live_server, username: str, submission):
    page = logged_in(browser, live_server, username)
    page.goto(f"{live_server.url}/admin/submissions/submission/{submission.pk}/decide/")
    return page


def screenshot(page, name: str) -> None:
    if os.environ.get("KYC_WRITE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


def status(submission) -> str:
    return Submission.objects.get(pk=submission.pk).status


def test_claim_see_evidence_and_approve_with_the_keyboard(playwright_browser, live_server, project):
    first, second = case(project, 0), case(project, 1)
    member("rita", project)
    member("sam", project)
    page = logged_in(playwright_browser, live_server, "rita")
    assert page.locator("#queue tbody tr").count() == 2
    assert page.locator("#queue").inner_text().index(first.submission_id) < \
        page.locator("#queue").inner_text().index(second.submission_id)  # oldest first
    screenshot(page, "queue.png")

    page.keyboard.press("n")  # the next unclaimed case: the oldest
    page.wait_for_selector("#claim-state")
    assert page.locator("#claim-state").inner_text() == "Claimed by you"
    assert page.locator("svg.kyc-evidence polygon.kyc-shape-outline").count() >= 1  # the document outline
    assert page.locator("svg.kyc-evidence .kyc-shape-points").count() >= 1  # face landmarks on the selfie
    viewer = page.locator(".kyc-viewer").first
    viewer.locator('[data-tool="zoom-in"]').click()
    viewer.locator('[data-tool="contrast"]').click()
    assert "kyc-contrast" in viewer.get_attribute("class")
    viewer.locator('[data-tool="reset"]').click()
    screenshot(page, "case.png")

    other = logged_in(playwright_browser, live_server, "sam")
    other.goto(f"{live_server.url}/admin/submissions/submission/{first.pk}/decide/")
    assert other.locator("#claim-state").inner_text() == "Taken by rita"
    assert other.locator("#decision-form").count() == 0

    page.locator("body").click()
    page.keyboard.press("a")  # approve
    page.wait_for_selector("#claim-state")  # landed on the next case
    assert status(first) == SubmissionStatus.APPROVED
    assert page.url.endswith(f"/submission/{second.pk}/decide/")
    page.goto(f"{live_server.url}/admin/review/dashboard/")
    page.wait_for_selector("canvas")
    assert page.csp_violations == [] and other.csp_violations == []


def test_reject_with_codes_and_an_edited_message(playwright_browser, live_server, project):
    submission = case(project, 0)
    member("rita", project)
    page = case_page(playwright_browser, live_server, "rita", submission)
    page.check('input[name="codes"][value="id_image_badImage"]')
    message = page.locator('textarea[name="message_id_image_badImage"]')
    assert message.is_visible()
    assert message.input_value() == "Fail to read the ID image. Please take a clear picture of your ID document."
    message.fill("The photo is too dark: please retake it in daylight.")
    page.check('input[name="codes"][value="other"]')
    page.fill('textarea[name="comment"]', "Hold the passport flat.")
    assert page.locator('input[name="decision"][value="reject"]').is_checked()
    page.click("#save-decision")
    page.wait_for_load_state()
    rejected = Submission.objects.get(pk=submission.pk)
    assert rejected.status == SubmissionStatus.REJECTED
    assert rejected.reject_codes == ["id_image_badImage", "other"]
    assert rejected.reject_comments == ["The photo is too dark: please retake it in daylight.",
                                        "Hold the passport flat."]


def test_an_edited_birth_date_rejects_as_under_age(playwright_browser, live_server, project):
    submission = case(project, 2)
    member("rita", project)
    page = case_page(playwright_browser, live_server, "rita", submission)
    page.check('input[name="decision"][value="approve"]')
    page.fill('input[name="date_of_birth"]', (date.today() - timedelta(days=365 * 12)).isoformat())
    page.click("#save-decision")
    page.wait_for_load_state()
    assert "is now Rejected with id_info_notOfAge" in page.content()
    rejected = Submission.objects.get(pk=submission.pk)
    assert rejected.status == SubmissionStatus.REJECTED and rejected.reject_codes == ["id_info_notOfAge"]


def test_four_eyes_confirm(playwright_browser, live_server, project):
    project.four_eyes_review = True
    project.save()
    submission = case(project, 1)
    member("rita", project)
    member("sam", project)
    page = case_page(playwright_browser, live_server, "rita", submission)
    page.check('input[name="decision"][value="approve"]')
    page.click("#save-decision")
    page.wait_for_load_state()
    assert "awaits a second reviewer" in page.content()
    assert status(submission) == SubmissionStatus.PENDING

    second = logged_in(playwright_browser, live_server, "sam")
    second.goto(f"{live_server.url}/admin/review/queue/?awaiting=1")
    second.click(f"text={submission.submission_id}")
    assert "rita proposed to approve" in second.locator("#proposal").inner_text()
    second.click("#confirm")
    second.wait_for_load_state()
    assert status(submission) == SubmissionStatus.APPROVED
    review = ReviewDecision.objects.get(submission=submission)
    assert review.reviewer.username == "rita" and review.second_reviewer.username == "sam"
