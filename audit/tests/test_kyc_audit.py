"""`manage.py kyc_audit seal | verify | export`: exit status 1 and the first broken link when broken."""

import json
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command, load_command_class

from audit.models import AuditEvent
from audit.services import audit_seal
from audit.tests.conftest import tamper
from submissions.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("kyc_audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def events(record, project) -> list[AuditEvent]:
    written = [record(project=project, action=f"e{n}", after={"n": n}) for n in range(3)]
    audit_seal()
    return written


def test_seal_seals_everything_and_prints_the_count(record, project):
    # given
    for n in range(3):
        record(project=project, action=f"e{n}")

    # when
    out, _ = run("seal")

    # then
    assert json.loads(out) == {"sealed": 3}
    assert not AuditEvent.objects.filter(hash__isnull=True).exists()
    assert json.loads(run("seal")[0]) == {"sealed": 0}


def test_verify_an_intact_chain_prints_a_summary(events, project):
    # when
    out, _ = run("verify")

    # then
    head = AuditEvent.objects.get(pk=events[-1].pk).hash
    assert f"{project.project_id}: intact; 3 events checked (3 sealed, 0 not sealed yet" in out
    assert f"head {project.project_id}:3:{head}" in out
    assert out.strip().endswith("intact: 1 chain(s), 3 events checked")


def test_verify_a_broken_chain_fails_with_the_first_broken_link(events, project):
    # given
    tamper(events[1], after={"n": 42})
    out = StringIO()

    # when
    with pytest.raises(CommandError) as raised:
        call_command("kyc_audit", "verify", stdout=out)

    # then
    assert raised.value.returncode == 1
    assert f"{project.project_id}: BROKEN" in out.getvalue()
    assert (
        f"first broken link: chain {project.project_id}: content edited at event {events[1].pk} (seq 2)"
        in out.getvalue()
    )


def test_verify_exits_with_status_1_from_the_command_line(events, capsys):
    # given
    AuditEvent.objects.filter(pk=events[1].pk).delete()
    command = load_command_class("audit", "kyc_audit")

    # when: as manage.py runs it (which closes connections at the end: not the test's)
    with mock.patch("django.core.management.base.connections.close_all"), pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "kyc_audit", "verify"])

    # then
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert "missing event (seq gap)" in captured.out and "1 audit chain(s) broken" in captured.err


def test_verify_one_project(events, project, record):
    # given: another project's chain is broken
    other = ProjectFactory()
    foreign = record(project=other, action="x")
    audit_seal()
    tamper(foreign, action="y")

    # when
    out, _ = run("verify", "--project", project.project_id)

    # then
    assert other.project_id not in out and "intact: 1 chain(s)" in out
    with pytest.raises(CommandError):
        run("verify")


def test_verify_with_published_anchors(events, project):
    # given
    head = AuditEvent.objects.get(pk=events[1].pk).hash

    # when
    good, _ = run("verify", "--anchor", f"{project.project_id}:2:{head}")
    with pytest.raises(CommandError) as raised:
        run("verify", "--anchor", f"{project.project_id}:2:{'0' * 64}")

    # then
    assert "intact" in good and raised.value.returncode == 1


@pytest.mark.parametrize(
    "args",
    [
        ("verify", "--project", "prj_nope"),
        ("verify", "--anchor", "prj_nope:1:" + "0" * 64),
        ("verify", "--anchor", "not-an-anchor"),
        ("export", "--since", "yesterday"),
    ],
)
def test_bad_arguments_are_refused_plainly(events, args):
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert raised.value.returncode == 1


def test_export_to_stdout(events, project):
    # when
    out, _ = run("export", "--project", project.project_id, "--since", "2000-01-01", "--until", "2999-12-31")

    # then
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == [event.pk for event in events]


def test_export_until_includes_that_whole_day(events):
    # given
    from django.utils import timezone

    today = timezone.now().date().isoformat()

    # when
    through_today, _ = run("export", "--until", today)
    from_today, _ = run("export", "--since", today)

    # then
    assert len(through_today.splitlines()) == len(from_today.splitlines()) == 3


def test_export_to_a_file_without_content(events, tmp_path):
    # given
    path = tmp_path / "audit.jsonl"

    # when
    out, err = run("export", "--output", str(path), "--no-content")

    # then
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 3 and all("after" not in line for line in lines)
    assert out == "" and f"3 events written to {path}" in err
