"""audit_verify: an intact chain passes; an edit, a deletion or an insertion is reported where it is."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.chain import audit_event_canonical, audit_event_hash
from audit.choices import AuditBreakKind
from audit.models import AuditChainHead, AuditEvent
from audit.selectors import audit_verify
from audit.services import audit_seal
from audit.tests.conftest import tamper
from submissions.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(record, project) -> list[AuditEvent]:
    """Six sealed events of `project`, seq 1 to 6."""
    events = [record(project=project, action=f"step{n}", before={"n": n}, after={"n": n + 1}) for n in range(6)]
    audit_seal()
    return [AuditEvent.objects.get(pk=event.pk) for event in events]


def broken_link(project):
    [report] = audit_verify(project=project).chains
    return report.broken


def test_an_intact_chain_verifies(chain, project, record):
    # given: one event not sealed yet, and another project
    record(project=project, action="just written")
    ProjectFactory()

    # when
    report = audit_verify()

    # then
    assert report.intact and report.broken_links == []
    [checked] = [c for c in report.chains if c.chain == project.project_id]
    assert (checked.events_checked, checked.sealed, checked.unsealed, checked.redacted) == (6, 6, 1, 0)
    assert checked.head_anchor == f"{project.project_id}:6:{chain[-1].hash}"


def test_an_edited_after_is_reported_as_content_edited_at_that_event(chain, project):
    # given
    tamper(chain[2], after={"n": 99})

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.event_id, broken.chain_seq) == (AuditBreakKind.CONTENT_EDITED, chain[2].pk, 3)
    assert broken.chain == project.project_id


@pytest.mark.parametrize("edit", [{"action": "approved"}, {"actor_label": "someone else"}])
def test_an_edited_column_is_a_hash_mismatch_at_that_event(chain, project, edit):
    # given
    tamper(chain[3], **edit)

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.event_id, broken.chain_seq) == (AuditBreakKind.HASH_MISMATCH, chain[3].pk, 4)


def test_an_edit_with_the_content_digest_recomputed_is_still_a_hash_mismatch(chain, project):
    # given: before/after edited and its digest made to match
    from audit.chain import audit_content_digest

    event = chain[1]
    tamper(event, after={"n": 99}, content_digest=audit_content_digest(event.content_nonce, event.before, {"n": 99}))

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.event_id) == (AuditBreakKind.HASH_MISMATCH, event.pk)


def test_an_event_rehashed_after_its_edit_breaks_the_next_link(chain, project):
    # given: the attacker recomputes the edited event's own hash, but not the rest of the chain
    event = chain[2]
    event.action = "approved"
    tamper(event, action="approved", hash=audit_event_hash(event.prev_hash, audit_event_canonical(event)))

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.event_id, broken.chain_seq) == (AuditBreakKind.HASH_MISMATCH, chain[3].pk, 4)
    assert "prev_hash" in broken.detail


def test_a_deleted_event_is_a_gap_before_the_next_one(chain, project):
    # given
    AuditEvent.objects.filter(pk=chain[2].pk).delete()

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.event_id, broken.chain_seq) == (AuditBreakKind.SEQ_GAP, chain[3].pk, 4)
    assert "seq 3 missing" in broken.detail


def test_deleting_the_last_events_is_a_head_mismatch(chain, project):
    # given
    AuditEvent.objects.filter(pk__in=[chain[4].pk, chain[5].pk]).delete()

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.event_id) == (AuditBreakKind.HEAD_MISMATCH, chain[5].pk)
    assert "chain ends at seq 4" in broken.detail


def test_deleting_the_head_is_a_head_mismatch(chain, project):
    # given
    AuditChainHead.objects.filter(project=project).delete()

    # when
    broken = broken_link(project)

    # then
    assert broken.kind == AuditBreakKind.HEAD_MISMATCH


def test_an_event_moved_to_another_chain_breaks_both(chain, project):
    # given
    other = ProjectFactory()
    tamper(chain[1], project=other)

    # when
    report = audit_verify()

    # then
    broken = {link.chain: link for link in report.broken_links}
    assert broken[project.project_id].kind == AuditBreakKind.SEQ_GAP
    assert broken[other.project_id].kind == AuditBreakKind.HEAD_MISMATCH


def test_a_sealed_event_inserted_beyond_the_head_is_a_head_mismatch(chain, project):
    # given: a forged row that links correctly to the last event, the head left alone
    forged = AuditEvent(
        actor_type="system",
        actor_label="forger",
        action="approved",
        project=project,
        chain_seq=7,
        prev_hash=chain[-1].hash,
        content_nonce="",
        content_digest="0" * 64,
    )
    forged.save()
    forged.refresh_from_db()
    tamper(forged, hash=audit_event_hash(forged.prev_hash, audit_event_canonical(forged)))

    # when
    broken = broken_link(project)

    # then
    assert broken.kind == AuditBreakKind.HEAD_MISMATCH and "beyond the chain head" in broken.detail


def test_a_repeated_seq_is_reported(chain, project):
    # given: the uniqueness index dropped (the test's transaction restores it), a second row at seq 3
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX audit_chain_seq_unique")
    copy = AuditEvent.objects.get(pk=chain[2].pk)
    copy.pk = None
    copy.save()

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.event_id, broken.chain_seq) == (AuditBreakKind.SEQ_REPEATED, copy.pk, 3)


def test_the_first_broken_link_is_reported_whichever_kind_comes_first(chain, project):
    # given: an edited column at seq 2, edited content at seq 4, a deletion at seq 5
    tamper(chain[1], actor_label="changed")
    tamper(chain[3], after={"n": 0})
    AuditEvent.objects.filter(pk=chain[4].pk).delete()

    # when / then
    assert (broken_link(project).chain_seq, broken_link(project).kind) == (2, AuditBreakKind.HASH_MISMATCH)


def test_edited_content_before_a_broken_link_is_reported_first(chain, project):
    # given
    tamper(chain[1], after={"n": 0})
    tamper(chain[3], action="changed")

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.chain_seq) == (AuditBreakKind.CONTENT_EDITED, 2)


def test_a_repointed_actor_is_a_hash_mismatch(chain, project):
    # given
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username="mallory", password="a-long-test-password")
    tamper(chain[0], actor_user=user)

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.chain_seq) == (AuditBreakKind.HASH_MISMATCH, 1)
    assert "actor_user" in broken.detail


def test_an_anchor_published_earlier_still_matches(chain, project, record):
    # given
    anchor = (6, chain[-1].hash)
    record(project=project, action="later")
    audit_seal()

    # when
    report = audit_verify(project=project, anchors={project.project_id: anchor})

    # then
    assert report.intact


def test_a_chain_rewritten_consistently_is_caught_by_its_anchor(chain, project):
    # given: a database superuser edits an event and re-seals the whole chain from scratch
    anchor = (6, chain[-1].hash)
    AuditEvent.objects.filter(project=project).update(
        chain_seq=None, prev_hash=None, hash=None, content_digest=None, content_nonce=""
    )
    AuditChainHead.objects.filter(project=project).delete()
    tamper(chain[2], after={"n": 99})
    audit_seal()
    assert audit_verify(project=project).intact

    # when
    report = audit_verify(project=project, anchors={project.project_id: anchor})

    # then
    [broken] = report.broken_links
    assert (broken.kind, broken.chain_seq) == (AuditBreakKind.ANCHOR_MISMATCH, 6)


def test_an_anchor_beyond_the_chain_is_a_mismatch(chain, project):
    # when
    report = audit_verify(project=project, anchors={project.project_id: (9, "a" * 64)})

    # then
    assert report.broken_links[0].kind == AuditBreakKind.ANCHOR_MISMATCH


def test_one_project_is_verified_alone(chain, project, record):
    # given: another project's chain is broken
    other = ProjectFactory()
    foreign = record(project=other, action="x")
    audit_seal()
    tamper(foreign, action="y")

    # when
    report = audit_verify(project=project)

    # then
    assert [c.chain for c in report.chains] == [project.project_id] and report.intact
    assert not audit_verify().intact


def test_a_break_across_a_chunk_boundary_is_found(chain, project, monkeypatch):
    # given: chunks of two rows, the deletion at the start of the third
    monkeypatch.setattr("audit.selectors.AUDIT_VERIFY_CHUNK", 2)
    AuditEvent.objects.filter(pk=chain[4].pk).delete()

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.event_id) == (AuditBreakKind.SEQ_GAP, chain[5].pk)


def test_a_large_chain_is_walked_in_chunks(project, monkeypatch):
    # given: 20,000 events of one project, sealed
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor_type="system",
            actor_label="bulk",
            action="noted",
            project=project,
            after={"n": n, "status": "pending"},
        )
        for n in range(20_000)
    )
    assert audit_seal(limit=20_000) == 20_000
    monkeypatch.setattr("audit.selectors.AUDIT_VERIFY_CHUNK", 1000)

    # when
    with CaptureQueriesContext(connection) as queries:
        report = audit_verify(project=project)

    # then: about one query per thousand events, each bounded by the chunk size
    assert report.intact and report.chains[0].events_checked == 20_000
    walked = [q["sql"] for q in queries.captured_queries if "LIMIT 1000" in q["sql"]]
    assert 20 <= len(walked) <= 22
    assert len(queries.captured_queries) <= len(walked) + 10


def test_a_tampered_large_chain_reports_the_right_event(project):
    # given
    AuditEvent.objects.bulk_create(
        AuditEvent(actor_type="system", actor_label="bulk", action="noted", project=project, after={"n": n})
        for n in range(5_000)
    )
    audit_seal(limit=5_000)
    victim = AuditEvent.objects.get(project=project, chain_seq=4_321)
    tamper(victim, after={"n": -1})

    # when
    broken = broken_link(project)

    # then
    assert (broken.kind, broken.event_id, broken.chain_seq) == (AuditBreakKind.CONTENT_EDITED, victim.pk, 4_321)
