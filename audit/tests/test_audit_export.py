"""audit_export: JSON lines an auditor can check without kycreview, with the script of docs/audit.md."""

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.selectors import audit_export
from audit.services import audit_redact, audit_seal
from audit.tests.conftest import tamper
from submissions.tests.factories import ProjectFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def export_lines(**kwargs) -> list[dict]:
    stream = io.StringIO()
    count = audit_export(stream=stream, **kwargs)
    lines = stream.getvalue().splitlines()
    assert count == len(lines)
    return [json.loads(line) for line in lines]


def auditor_verify(lines: list[dict]) -> list[str]:
    """Run the auditors' script exactly as docs/audit.md prints it."""
    [script] = re.findall(r"```python\n(# audit_export_verify\.py.*?)```", DOCS.read_text(), re.S)
    namespace: dict = {"__name__": "audit_export_verify"}
    exec(compile(script, str(DOCS), "exec"), namespace)
    return list(namespace["verify"](json.dumps(line) for line in lines))


def test_one_line_per_event_in_chain_order_then_the_unsealed(record, project):
    # given
    submission = SubmissionFactory(project=project)
    first = record(submission=submission, action="created", after={"email": "anna@example.com"})
    second = record(project=project, action="project_updated", before={"age_limit": 18}, after={"age_limit": 21})
    global_event = record(action="document_specimen_added")
    audit_seal()
    unsealed = record(project=project, action="just written")

    # when
    lines = export_lines()

    # then
    assert [(line["chain"], line["id"], line["chain_seq"]) for line in lines] == [
        ("global", global_event.pk, 1),
        (project.project_id, first.pk, 1),
        (project.project_id, second.pk, 2),
        (project.project_id, unsealed.pk, None),
    ]
    line = lines[1]
    sealed = AuditEvent.objects.get(pk=first.pk)
    assert line == {
        "chain": project.project_id,
        "chain_seq": 1,
        "id": first.pk,
        "created_at": sealed.created_at.isoformat(timespec="microseconds"),
        "actor_type": "system",
        "actor_user_id": None,
        "actor_api_key_id": None,
        "actor_label": "test",
        "action": "created",
        "project_id": project.pk,
        "submission_id": submission.pk,
        "submission": submission.submission_id,
        "content_digest": sealed.content_digest,
        "prev_hash": sealed.prev_hash,
        "hash": sealed.hash,
        "before": {},
        "after": sealed.after,  # as stored: the email sealed, so the export verifies without keys
        "content_nonce": sealed.content_nonce,
    }
    assert sealed.after_plain == {"email": "anna@example.com"}
    assert (lines[3]["hash"], lines[3]["prev_hash"], lines[3]["content_digest"]) == (None, None, None)


def test_filters_by_project_and_days(record, project):
    # given
    other = ProjectFactory()
    old = record(project=project, action="old")
    tamper(old, created_at=timezone.now() - timedelta(days=10))
    recent = record(project=project, action="recent")
    record(project=other, action="elsewhere")
    audit_seal()
    now = timezone.now()

    # when
    mine = export_lines(project=project)
    recent_only = export_lines(project=project, since=now - timedelta(days=1))
    old_only = export_lines(until=now - timedelta(days=5))

    # then
    assert [line["action"] for line in mine] == ["old", "recent"]
    assert [line["id"] for line in recent_only] == [recent.pk]
    assert [line["id"] for line in old_only] == [old.pk]


def test_without_content_leaves_out_the_personal_data_but_keeps_the_digest(record, project):
    # given
    record(project=project, action="edited", before={"name": "Ana"}, after={"name": "Anna"})
    audit_seal()

    # when
    [line] = export_lines(content=False)

    # then
    assert {"before", "after", "content_nonce"}.isdisjoint(line) and line["content_digest"]
    assert "Ana" not in json.dumps(line)


def test_a_masked_export_holds_no_number_nor_raw_read_and_still_verifies(record, project):
    # given: an edit of a document number, and an event holding a whole MRZ block
    lines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
    record(project=project, action="edited", before={"document_number": "L898902C3"},
           after={"document_number": "K7766554", "name": "Anna"})
    record(project=project, action="noted", after={"mrz": {"optional_data": "ZE184226B", "lines": lines}})
    audit_seal()

    # when
    exported = export_lines(masked=True)

    # then: the values are masked, the links verify, and the reader is told which form it got
    text = json.dumps(exported)
    for secret in ("L898902C3", "K7766554", "ZE184226B", "UTOERIKSSON"):
        assert secret not in text
    assert exported[0]["after_masked"] == {"document_number": "••••••54", "name": "Anna"}
    assert all({"before", "after", "content_nonce"}.isdisjoint(line) for line in exported)
    assert len(auditor_verify(exported)) == 1  # only the chain's head: nothing reported broken


def test_an_export_in_chunks_is_complete(record, project, monkeypatch):
    # given
    monkeypatch.setattr("audit.selectors.AUDIT_VERIFY_CHUNK", 3)
    for n in range(8):
        record(project=project, action=f"e{n}")
    audit_seal()
    for n in range(4):
        record(project=project, action=f"u{n}")

    # when
    lines = export_lines()

    # then
    assert [line["action"] for line in lines] == [f"e{n}" for n in range(8)] + [f"u{n}" for n in range(4)]


def test_the_documented_auditor_script_accepts_an_intact_export_with_a_redaction(record, system_actor):
    # given
    submission = SubmissionFactory()
    record(submission=submission, action="created", after={"email": "anna@example.com"})
    record(submission=submission, action="edited", before={"name": "Ana"}, after={"name": "Anna"})
    record(action="global event")
    audit_seal()
    audit_redact(submission=submission, keys=frozenset({"name", "email"}), actor=system_actor)
    audit_seal()

    # when
    messages = auditor_verify(export_lines())

    # then: no problem, only the heads
    heads = {message.split(":")[0]: message for message in messages}
    assert len(messages) == 2 and set(heads) == {"global", submission.project.project_id}
    assert heads[submission.project.project_id].split(":")[1] == "3"


def test_the_documented_auditor_script_finds_edits_and_deletions(record, project):
    # given
    events = [record(project=project, action=f"e{n}", after={"n": n}) for n in range(5)]
    audit_seal()
    tamper(events[1], after={"n": 99})
    AuditEvent.objects.filter(pk=events[3].pk).delete()

    # when
    messages = auditor_verify(export_lines())
    without_content = auditor_verify(export_lines(content=False))

    # then
    assert f"{project.project_id}: seq 4 to 4 missing before event {events[4].pk}" in messages
    assert f"{project.project_id}: content edited at event {events[1].pk}" in messages
    assert not any("content edited" in message for message in without_content)


def test_the_documented_auditor_script_finds_a_line_edited_in_the_export(record, project):
    # given
    record(project=project, action="approved")
    record(project=project, action="noted")
    audit_seal()
    lines = export_lines()

    # when
    lines[0]["action"] = "rejected"
    messages = auditor_verify(lines)

    # then
    assert messages[0] == f"{project.project_id}: hash mismatch at event {lines[0]['id']}"
