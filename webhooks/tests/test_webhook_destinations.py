"""Webhook URLs reach public https receivers only (issue 14 item 6): refused when saved (the admin form,
`kyc_project`), refused again when connecting (DNS may answer otherwise by then), no redirect followed,
and the delivery log keeps only a short, cleaned excerpt of an answer."""

import datetime
import re
import ssl
import threading
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from ipaddress import ip_address
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from submissions.choices import SubmissionStatus
from submissions.models import Project
from submissions.tests.admin.test_project_admin import form_data
from submissions.tests.factories import ProjectFactory, SubmissionFactory
from webhooks.choices import WebhookEventState, WebhookTrigger
from webhooks.models import WebhookEvent
from webhooks.services import webhook_deliver, webhook_event_record
from webhooks.tasks import webhook_deliver_task

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"  # a globally routable address; never connected to by these tests

# The audit's examples, each with what the refusal names. Checked with plain http allowed, so that
# the address (not the scheme) is what refuses them.
INTERNAL_URLS = [
    ("http://127.0.0.1:5432/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "link-local"),
    ("http://[::1]:6379/", "loopback"),
    ("http://localhost/hooks", "this server itself"),
    ("http://10.0.0.5/hooks", "private"),
    ("ftp://hooks.example.org/kyc", "must use https, not ftp"),
    ("https://[::ffff:127.0.0.1]/hooks", "loopback address (inside an IPv6 address)"),
    ("https://internal.example.org/hooks", "resolves to a private address"),
    ("https://mixed.example.org/hooks", "resolves to a private address"),
]


@pytest.fixture
def dns(fake_dns):
    fake_dns.answer("hooks.example.org", PUBLIC)
    fake_dns.answer("internal.example.org", "10.1.2.3")
    fake_dns.answer("mixed.example.org", PUBLIC, "192.168.1.20")  # one internal answer is enough
    return fake_dns


def admin_save_webhook_url(client, project: Project, url: str):
    return client.post(reverse("admin:submissions_project_change", args=[project.pk]),
                       form_data(project, webhook_url=url))


def kyc_project(*args) -> str:
    out = StringIO()
    call_command("kyc_project", *args, stdout=out)
    return out.getvalue()


# -- the policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "refusal"),
    [
        ("127.0.0.1", "a loopback address"),
        ("10.0.0.5", "a private address"),
        ("172.16.3.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("100.64.0.1", "not a public address"),
        ("0.0.0.0", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("239.1.2.3", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("::1", "a loopback address"),
        ("fe80::1", "a link-local address"),
        ("fd00:ec2::254", "a private address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:10.0.0.5", "a private address (inside an IPv6 address)"),
        ("2002:7f00:1::", "a loopback address (inside an IPv6 address)"),
        ("64:ff9b::a9fe:a9fe", "a link-local address (inside an IPv6 address)"),
        (PUBLIC, None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_every_kind_of_internal_address_is_refused_and_public_ones_are_not(address, refusal):
    from webhooks.destinations import webhook_address_refusal  # here: the other tests also run on older code

    assert webhook_address_refusal(ip_address(address)) == refusal


# -- when the URL is saved ------------------------------------------------------------------


@pytest.mark.parametrize(("url", "reason"), INTERNAL_URLS)
def test_the_operator_form_refuses_an_internal_webhook_url(admin_client, dns, settings, url, reason):
    # given: plain http allowed (development), so only the destination can refuse
    settings.KYC_WEBHOOK_ALLOW_HTTP = True
    project = ProjectFactory(webhook_url="")

    # when
    response = admin_save_webhook_url(admin_client, project, url)

    # then: the form is shown again with the reason on the field, nothing saved
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["webhook_url"], errors
    assert reason in " ".join(errors["webhook_url"])
    project.refresh_from_db()
    assert project.webhook_url == ""


@pytest.mark.parametrize(("url", "reason"), INTERNAL_URLS)
def test_kyc_project_refuses_an_internal_webhook_url_plainly(dns, settings, url, reason):
    settings.KYC_WEBHOOK_ALLOW_HTTP = True

    with pytest.raises(CommandError) as refused:
        kyc_project("create", "--name", "Shop", "--option", f"webhook_url={url}")
    assert "webhook_url:" in str(refused.value) and reason in str(refused.value)
    assert "Traceback" not in str(refused.value)
    assert not Project.objects.exists()

    project = ProjectFactory(webhook_url="")
    with pytest.raises(CommandError, match=re.escape(reason)):
        kyc_project("set-option", project.project_id, f"webhook_url={url}")
    project.refresh_from_db()
    assert project.webhook_url == ""


def test_plain_http_is_refused_unless_the_development_setting_allows_it(admin_client, dns, settings):
    project = ProjectFactory(webhook_url="")

    response = admin_save_webhook_url(admin_client, project, "http://hooks.example.org/kyc")
    assert response.status_code == 200
    assert "must use https" in " ".join(response.context["adminform"].form.errors["webhook_url"])

    settings.KYC_WEBHOOK_ALLOW_HTTP = True
    assert admin_save_webhook_url(admin_client, project, "http://hooks.example.org/kyc").status_code == 302
    project.refresh_from_db()
    assert project.webhook_url == "http://hooks.example.org/kyc"


def test_a_public_https_url_is_saved_from_the_form_and_the_cli(admin_client, dns):
    project = ProjectFactory(webhook_url="")
    assert admin_save_webhook_url(admin_client, project, "https://hooks.example.org/kyc").status_code == 302
    project.refresh_from_db()
    assert project.webhook_url == "https://hooks.example.org/kyc"

    kyc_project("set-option", project.project_id, "webhook_url=https://hooks.example.org:8443/other")
    project.refresh_from_db()
    assert project.webhook_url == "https://hooks.example.org:8443/other"


def test_the_on_premises_allow_list_admits_the_internal_receivers_it_names_and_no_other(admin_client, fake_dns,
                                                                                       settings):
    settings.KYC_WEBHOOK_ALLOWED_HOSTS = ["10.20.0.0/16", "hooks.corp.internal"]
    fake_dns.answer("hooks.corp.internal", "10.99.0.7")
    project = ProjectFactory(webhook_url="")

    for allowed in ("https://10.20.3.4/kyc", "https://hooks.corp.internal/kyc"):
        assert admin_save_webhook_url(admin_client, project, allowed).status_code == 302, allowed
        project.refresh_from_db()
        assert project.webhook_url == allowed

    for refused in ("https://10.21.0.1/kyc", "https://127.0.0.1/kyc"):
        response = admin_save_webhook_url(admin_client, project, refused)
        assert response.status_code == 200 and "webhook_url" in response.context["adminform"].form.errors
    project.refresh_from_db()
    assert project.webhook_url == "https://hooks.corp.internal/kyc"


@pytest.mark.parametrize("value", ["123", "true", "not a url", "https://", "https://[::1", "https://" + "a" * 70 + ".org/"])
def test_kyc_project_refuses_what_is_not_a_url_plainly(dns, value):
    project = ProjectFactory(webhook_url="")
    with pytest.raises(CommandError, match="webhook_url:") as refused:
        kyc_project("set-option", project.project_id, f"webhook_url={value}")
    assert "Traceback" not in str(refused.value)


def test_a_host_that_does_not_resolve_is_refused_with_a_message(dns):
    project = ProjectFactory(webhook_url="")
    dns.answers["gone.example.org"] = [[]]
    with pytest.raises(CommandError, match="gone.example.org has no IPv4 or IPv6 address"):
        kyc_project("set-option", project.project_id, "webhook_url=https://gone.example.org/kyc")


# -- when connecting ------------------------------------------------------------------------


@dataclass
class LocalServer:
    """An HTTP server on a loopback address answering every request with `status`, `headers`, `body`."""

    host: str = "127.0.0.1"
    port: int = 0
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    hits: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"


@contextmanager
def local_server(server: LocalServer, tls: ssl.SSLContext | None = None):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            server.hits.append(f"{self.command} {self.path}")
            self.send_response(server.status)
            for name, value in server.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(server.body)))
            self.end_headers()
            self.wfile.write(server.body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer((server.host, server.port), Handler)
    httpd.daemon_threads = True
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    server.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def on_premises_http(settings):
    """Local servers stand for receivers: the settings an on-premises deployment would need for them."""
    settings.KYC_WEBHOOK_ALLOW_HTTP = True
    settings.KYC_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


def pending_event(project: Project) -> WebhookEvent:
    submission = SubmissionFactory(project=project, target_status=SubmissionStatus.APPROVED)
    with mock.patch.object(webhook_deliver_task, "delay"):
        return webhook_event_record(submission=submission, trigger=WebhookTrigger.APPROVED)


def test_a_name_public_when_saved_and_internal_when_sent_is_refused_at_connect_time(
    admin_client, receiver, fake_dns, settings
):
    # given: no internal host allowed (the receiver stands for an internal service), http allowed
    settings.KYC_WEBHOOK_ALLOWED_HOSTS = []
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"http://rebind.example.org:{port}/hooks/kyc"
    project = ProjectFactory(webhook_url="")
    fake_dns.answer("rebind.example.org", PUBLIC)
    assert admin_save_webhook_url(admin_client, project, url).status_code == 302
    event = pending_event(Project.objects.get(pk=project.pk))

    # when: by the time of sending, the name answers the loopback address
    fake_dns.answer("rebind.example.org", "127.0.0.1")
    assert webhook_deliver(event_pk=event.pk) is False

    # then: nothing reached the internal service; the attempt is logged and retried by the policy
    assert receiver.requests == []
    event.refresh_from_db()
    (delivery,) = event.deliveries.all()
    assert delivery.status_code is None and delivery.response_excerpt == ""
    assert delivery.error == (
        "Destination refused: The webhook host rebind.example.org resolves to a loopback address; "
        "list it in KYC_WEBHOOK_ALLOWED_HOSTS to allow an internal receiver on premises."
    )
    assert event.state == WebhookEventState.PENDING and event.attempts == 1


def test_a_url_saved_before_the_policy_is_refused_when_sent(receiver, settings):
    settings.KYC_WEBHOOK_ALLOWED_HOSTS = []
    project = ProjectFactory(webhook_url="")
    Project.objects.filter(pk=project.pk).update(webhook_url=receiver.url)  # as stored before the checks
    event = pending_event(Project.objects.get(pk=project.pk))

    assert webhook_deliver(event_pk=event.pk) is False

    assert receiver.requests == []
    assert event.deliveries.get().error.startswith("Destination refused: The webhook host 127.0.0.1 is a loopback")


def test_the_connection_goes_to_the_address_checked_not_to_a_second_answer(receiver, fake_dns, settings):
    # given: only 127.0.0.1 is allowed; a second lookup of the name would answer 127.0.0.2, where
    # another service listens on the same port
    settings.KYC_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1/32"]
    port = int(receiver.url.split(":")[2].split("/")[0])
    with local_server(LocalServer(host="127.0.0.2", port=port)) as other:
        fake_dns.answer("pinned.example.org", "127.0.0.1", then=["127.0.0.2"])
        project = ProjectFactory(webhook_url=f"http://pinned.example.org:{port}/hooks/kyc")
        receiver.secret = project.webhook_secret
        event = pending_event(project)

        # when
        assert webhook_deliver(event_pk=event.pk) is True

    # then: one lookup, and the event reached the address that lookup answered and was checked
    assert fake_dns.lookups == ["pinned.example.org"]
    assert receiver.accepted == [str(event.event_id)] and other.hits == []


def self_signed_tls(tmp_path, host: str) -> tuple[ssl.SSLContext, str]:
    """(server context, CA bundle path) for a certificate naming `host` only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context, str(cert_path)


def test_https_through_the_checked_address_verifies_the_certificate_of_the_url_host(
    tmp_path, fake_dns, settings, monkeypatch
):
    # given: an internal https receiver allowed on premises, its certificate naming hooks.corp.example
    settings.KYC_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    context, bundle = self_signed_tls(tmp_path, "hooks.corp.example")
    fake_dns.answer("hooks.corp.example", "127.0.0.1")
    fake_dns.answer("other.corp.example", "127.0.0.1")
    with local_server(LocalServer(), tls=context) as secure:
        right = pending_event(ProjectFactory(webhook_url=f"https://hooks.corp.example:{secure.port}/kyc"))
        wrong = pending_event(ProjectFactory(webhook_url=f"https://other.corp.example:{secure.port}/kyc"))

        # when: the system's authorities do not know the receiver's certificate
        assert webhook_deliver(event_pk=right.pk) is False
        # then: nothing was sent over the unverified connection
        assert secure.hits == [] and "CERTIFICATE_VERIFY_FAILED" in right.deliveries.get().error

        # when: the operator names the internal CA
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
        assert webhook_deliver(event_pk=right.pk, force=True) is True
        # and a host the certificate does not name is refused, though it resolves to the same address
        assert webhook_deliver(event_pk=wrong.pk) is False

    assert secure.hits == ["POST /kyc"]
    assert "match" in wrong.deliveries.get().error or "mismatch" in wrong.deliveries.get().error


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(on_premises_http):
    # given: a receiver answering 302 towards another local service
    with local_server(LocalServer()) as target, local_server(
        LocalServer(status=302, body=b"")
    ) as redirecting:
        redirecting.headers["Location"] = f"{target.url}internal"
        project = ProjectFactory(webhook_url=f"{redirecting.url}hooks")
        event = pending_event(project)

        # when
        assert webhook_deliver(event_pk=event.pk) is False

    # then: the other service got nothing; the attempt failed and is retried per the policy
    assert redirecting.hits == ["POST /hooks"] and target.hits == []
    event.refresh_from_db()
    (delivery,) = event.deliveries.all()
    assert delivery.status_code == 302 and delivery.error == "HTTP 302"
    assert event.state == WebhookEventState.PENDING and event.attempts == 1


def test_the_log_keeps_a_short_excerpt_without_control_characters(on_premises_http):
    # given: an answer with terminal escapes, NUL, CR/LF, a bidi override and a long tail
    body = ("\x1b[31mPG\x00 error\r\n\tport 5432\u202e" + "x" * 5000).encode()
    with local_server(LocalServer(status=500, body=body)) as noisy:
        event = pending_event(ProjectFactory(webhook_url=f"{noisy.url}hooks"))
        webhook_deliver(event_pk=event.pk)

    (delivery,) = event.deliveries.all()
    excerpt = delivery.response_excerpt
    assert delivery.status_code == 500 and len(excerpt) == 200
    assert not [char for char in excerpt if unicodedata.category(char)[0] in "CZ" and char != " "]
    assert excerpt.startswith("[31mPG error port 5432 xxx")


@pytest.mark.django_db(transaction=True)
def test_the_migration_cuts_and_cleans_the_excerpts_logged_before():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = ("webhooks", "0001_initial"), ("webhooks", "0002_delivery_excerpt_short")
    executor = MigrationExecutor(connection)
    try:
        # given: an attempt logged with 500 raw characters of an internal service's answer
        executor.migrate([before])
        old = executor.loader.project_state([before]).apps
        # The project as the schema now is (submissions stays migrated): the old state's model would
        # write a plain webhook secret into the sealed column.
        from submissions.models import Project

        project = Project.objects.create(name="Old")
        event = old.get_model("webhooks", "WebhookEvent").objects.create(project_id=project.pk, trigger="approved",
                                                                         payload={})
        leaked = "-ERR wrong number of arguments\r\n\x1b[0m" + "R" * 460
        delivery = old.get_model("webhooks", "WebhookDelivery").objects.create(
            event_id=event.pk, status_code=None, duration_ms=3, response_excerpt=leaked
        )

        # when
        executor.loader.build_graph()
        executor.migrate([after])

        # then
        from webhooks.models import WebhookDelivery

        excerpt = WebhookDelivery.objects.get(pk=delivery.pk).response_excerpt
        assert len(excerpt) == 200 and excerpt.startswith("-ERR wrong number of arguments [0mRRR")
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
