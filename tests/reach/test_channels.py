"""The three channel adapters against real receivers: an aiosmtpd SMTP server, a local HTTP server, the disk."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import hmac
import ipaddress
import itertools
import json
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from tenacity import Retrying

from siyu import ConfigError
from siyu.config import ReachEmailSettings, ReachSettings, ReachWebhookSettings
from siyu.reach.channels import OutMessage, open_adapter
from siyu.reach.channels.base import retrying
from siyu.reach.channels.email import EmailChannel
from siyu.reach.channels.export import ExportChannel, safe_name
from siyu.reach.channels.webhook import WebhookChannel

SECRET = "测试-secret-42"
CONTENT = "双十一会员专享：满299减50，仅限今天 🎁"
ADDRESS = "zhang.wei@example.cn"
WHEN = dt.datetime(2024, 11, 11, 10, 0, 0)


def msg(i: int | str, *, campaign: str = "c11", user: str | None = None, channel: str = "email",
        variant: str = "personalised", address: str | None = ADDRESS, content: str = CONTENT) -> OutMessage:
    return OutMessage(message_id=f"m{i}", campaign_id=campaign, user_id=user or f"u{i}", channel=channel,
                      variant=variant, content=content, content_id=f"{campaign}:{variant}", scheduled_at=WHEN,
                      address=address, subject="双十一 · 会员日" if channel == "email" else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_no_personal_data(results: list[list], *texts: str) -> None:
    errors = [a.error for attempts in results for a in attempts if a.error]
    assert errors, "expected at least one error text"
    for e in errors:
        for t in texts:
            assert t not in e


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (its PEM file, for SSL_CERT_FILE) and a server context with it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "siyu test")])
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(key, hashes.SHA256()))
    where = tmp_path_factory.mktemp("tls")
    (where / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (where / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(where / "cert.pem", where / "key.pem")
    return where / "cert.pem", ctx


def test_the_retry_policy_backs_off_exponentially_and_returns_the_last_outcome():
    from siyu.reach.channels.base import Attempt

    waits: list[float] = []
    outcomes = iter([Attempt("m1", "failed", retryable=True, error="HTTP 503")] * 9)
    last = Retrying(**retrying(4, 0.5, sleep=waits.append))(lambda: next(outcomes))
    assert (last.status, last.error) == ("failed", "HTTP 503") and waits == [0.5, 1.0, 2.0]
    assert Retrying(**retrying(4, 0.5, sleep=waits.append))(lambda: None) is None and len(waits) == 3


# --------------------------------------------------------------------------------------------------- webhook


class Receiver:
    """A local webhook receiver that checks signatures and can be told to fail."""

    def __init__(self, *, idle_timeout: float | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.lock = threading.Lock()
        self.seen: list[dict] = []  # one per request: key, signature_ok, body, headers
        self.peers: set[tuple] = set()  # client addresses: one per connection
        self.close_each = False  # answer with "Connection: close"
        self.fail_first = 0  # answer 500 to this many requests first
        self.reject: set[str] = set()  # message ids always answered 400
        self.slow: dict[str, int] = {}  # message id -> requests to answer too late
        self.sleep_s = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = idle_timeout  # an idle keep-alive connection is closed after this long

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers.get("Idempotency-Key")
                good = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
                with receiver.lock:
                    receiver.peers.add(self.client_address)
                    receiver.seen.append({"key": key, "signature_ok": hmac.compare_digest(
                        good, self.headers.get("X-Siyu-Signature", "")), "raw": raw,
                        "type": self.headers.get("Content-Type"), "body": json.loads(raw), "path": self.path})
                    if receiver.fail_first > 0:
                        receiver.fail_first -= 1
                        code = 500
                    elif key in receiver.reject:
                        code = 400
                    elif receiver.slow.get(key, 0) > 0:
                        receiver.slow[key] -= 1
                        code = -1
                    else:
                        code = 200
                if code == -1:
                    time.sleep(receiver.sleep_s)
                    code = 200
                self.send_response(code)
                self.send_header("Content-Length", "2")
                if receiver.close_each:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:  # a late answer to a closed connection
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}/hook?shop=1"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def keys(self) -> list[str]:
        with self.lock:
            return [r["key"] for r in self.seen]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setenv("SIYU_TEST_HOOK_SECRET", SECRET)
    return "SIYU_TEST_HOOK_SECRET"


def hook(url: str | None, secret_env: str, **kw) -> ReachSettings:
    args = {"url": url, "secret_env": secret_env, "timeout_s": 2.0, "retries": 3, "backoff_s": 0.01,
            "concurrency": 4, **kw}
    return ReachSettings(webhook=ReachWebhookSettings(**args))


def webhook_send(settings: ReachSettings, batch: list[OutMessage]) -> list[list]:
    ch = open_adapter("webhook", settings, workspace_dir=Path("."))
    assert isinstance(ch, WebhookChannel) and ch.name == "webhook"
    try:
        return ch.send(batch)
    finally:
        ch.close()


def test_webhook_signs_the_raw_body_and_sends_the_payload_keys(receiver, secret):
    batch = [msg(i, channel="webhook", address=None) for i in range(6)]
    out = webhook_send(hook(receiver.url, secret), batch)
    assert [[a.status for a in attempts] for attempts in out] == [["sent"]] * 6
    assert [attempts[0].message_id for attempts in out] == [f"m{i}" for i in range(6)]
    assert sorted(receiver.keys()) == [f"m{i}" for i in range(6)]
    for r in receiver.seen:
        assert r["signature_ok"]
        assert r["type"] == "application/json"
        assert r["path"] == "/hook?shop=1"
        assert set(r["body"]) == {"message_id", "campaign_id", "user_id", "channel", "variant", "content",
                                  "scheduled_at"}
        assert r["body"]["message_id"] == r["key"]
        assert r["body"]["content"] == CONTENT
        assert r["body"]["scheduled_at"] == "2024-11-11 10:00:00"
        assert r["raw"] == json.dumps(r["body"], ensure_ascii=False, separators=(",", ":")).encode()
        assert CONTENT.encode("utf-8") in r["raw"]  # not \u-escaped


def test_webhook_retries_5xx_with_backoff_then_succeeds(receiver, secret):
    receiver.fail_first = 2
    out = webhook_send(hook(receiver.url, secret, backoff_s=0.05, concurrency=1), [msg(1, channel="webhook")])
    (attempts,) = out
    assert [(a.status, a.retryable, a.error) for a in attempts] == [
        ("failed", True, "HTTP 500"), ("failed", True, "HTTP 500"), ("sent", False, None)]
    assert receiver.keys() == ["m1", "m1", "m1"]
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1


def test_webhook_gives_up_after_retries_and_the_outcome_stays_retryable(receiver, secret):
    receiver.fail_first = 100
    (attempts,) = webhook_send(hook(receiver.url, secret, retries=2), [msg(1, channel="webhook")])
    assert [(a.status, a.retryable, a.error) for a in attempts] == [("failed", True, "HTTP 500")] * 2
    assert len(receiver.keys()) == 2


def test_webhook_never_retries_4xx(receiver, secret):
    receiver.reject = {"m2"}
    out = webhook_send(hook(receiver.url, secret), [msg(i, channel="webhook") for i in range(4)])
    assert [(a.status, a.retryable, a.error) for a in out[2]] == [("failed", False, "HTTP 400")]
    assert [len(x) for x in out] == [1, 1, 1, 1] and all(x[0].ok for i, x in enumerate(out) if i != 2)
    assert receiver.keys().count("m2") == 1


def test_webhook_retries_a_timeout_with_the_same_idempotency_key(receiver, secret):
    receiver.slow = {"m1": 1}
    receiver.sleep_s = 0.6
    (attempts,) = webhook_send(hook(receiver.url, secret, timeout_s=0.2), [msg(1, channel="webhook")])
    assert [(a.status, a.retryable, a.error) for a in attempts] == [("failed", True, "TimeoutError"),
                                                                   ("sent", False, None)]
    assert receiver.keys() == ["m1", "m1"]


def test_webhook_receiver_down_costs_one_message_retries_the_rest_are_not_attempted(secret):
    url = f"http://127.0.0.1:{free_port()}/hook"
    out = webhook_send(hook(url, secret, concurrency=1), [msg(i, channel="webhook") for i in range(5)])
    assert [(a.status, a.retryable, a.error) for a in out[0]] == [
        ("failed", True, "connect: ConnectionRefusedError")] * 3
    assert out[1:] == [[], [], [], []]


def test_webhook_errors_name_the_status_only(receiver, secret):
    receiver.reject = {"m1"}
    receiver.fail_first = 1
    out = webhook_send(hook(receiver.url, secret, retries=1, concurrency=1),
                       [msg(0, channel="webhook"), msg(1, channel="webhook")])
    assert {a.error for x in out for a in x} == {"HTTP 500", "HTTP 400"}
    assert_no_personal_data(out, CONTENT, "u0", "u1", SECRET)


def test_webhook_settings_are_checked_when_the_adapter_opens(receiver, secret, monkeypatch):
    with pytest.raises(ConfigError, match=r"^\[reach.webhook\] url is not set$"):
        WebhookChannel(hook(None, secret), workspace_dir=Path("."), channel="webhook")
    for bad in ("ftp://example.com/x", "http:///no-host", "http://127.0.0.1:99999/x", "http://127.0.0.1:x/",
                "https://example.com/a b", "example.com/hook"):
        with pytest.raises(ConfigError, match="not an http"):
            WebhookChannel(hook(bad, secret), workspace_dir=Path("."), channel="webhook")
    monkeypatch.delenv(secret)
    with pytest.raises(ConfigError, match="SIYU_TEST_HOOK_SECRET is not set") as e:
        open_adapter("webhook", hook(receiver.url, secret), workspace_dir=Path("."))
    assert SECRET not in str(e.value)
    monkeypatch.setenv(secret, "")
    with pytest.raises(ConfigError, match="SIYU_TEST_HOOK_SECRET"):
        WebhookChannel(hook(receiver.url, secret), workspace_dir=Path("."), channel="webhook")
    assert receiver.keys() == []


def test_webhook_default_concurrency_is_8_and_connections_live_until_close(receiver, secret):
    assert ReachWebhookSettings().concurrency == 8
    ch = open_adapter("webhook", hook(receiver.url, secret, concurrency=3), workspace_dir=Path("."))
    try:
        for k in range(3):  # three batches over the same keep-alive connections, one per worker thread
            out = ch.send([msg(f"{k}-{i}", channel="webhook") for i in range(20)])
            assert [[a.status for a in x] for x in out] == [["sent"]] * 20
        assert len(receiver.keys()) == 60 and 1 <= len(receiver.peers) <= 3
        assert any(t.name.startswith("siyu-webhook") for t in threading.enumerate())
    finally:
        ch.close()
    assert not any(t.name.startswith("siyu-webhook") for t in threading.enumerate())
    assert ch.send([msg("again", channel="webhook")])[0][0].ok  # usable after close: a new pool
    ch.close()


@pytest.mark.parametrize("noticed", [True, False], ids=["noticed-before-reuse", "noticed-on-send"])
def test_webhook_reconnects_when_the_receiver_closed_an_idle_connection(secret, monkeypatch, noticed):
    if not noticed:  # the race: the connection closes after the check, so the request itself fails on it
        monkeypatch.setattr("siyu.reach.channels.webhook._closed_by_peer", lambda sock: False)
    r = Receiver(idle_timeout=0.2)
    ch = open_adapter("webhook", hook(r.url, secret, concurrency=2, retries=1), workspace_dir=Path("."))
    try:
        assert all(x[0].ok for x in ch.send([msg(i, channel="webhook") for i in range(6)]))
        time.sleep(0.6)  # every idle connection is closed by the receiver
        out = ch.send([msg(i, channel="webhook") for i in range(6, 12)])
        assert [[(a.status, a.error) for a in x] for x in out] == [[("sent", None)]] * 6  # no attempt spent
        assert sorted(r.keys()) == sorted(f"m{i}" for i in range(12))
    finally:
        ch.close()
        r.stop()


def test_webhook_follows_connection_close_with_a_new_connection(receiver, secret):
    receiver.close_each = True
    out = webhook_send(hook(receiver.url, secret, concurrency=2), [msg(i, channel="webhook") for i in range(6)])
    assert [[a.status for a in x] for x in out] == [["sent"]] * 6
    assert len(receiver.peers) == 6


def test_webhook_message_id_that_cannot_be_a_header_fails_for_good(receiver, secret):
    out = webhook_send(hook(receiver.url, secret, concurrency=1),
                       [msg("1\r\nX-Injected: 1", channel="webhook"), msg(2, channel="webhook"),
                        msg("号", channel="webhook")])
    assert [(a.status, a.retryable, a.error) for a in out[0]] == [("failed", False, "message id not usable as a header")]
    assert [a.status for a in out[1]] == ["sent"] and receiver.keys() == ["m2"]
    assert [(a.status, a.retryable) for a in out[2]] == [("failed", False)]


def test_webhook_percent_encodes_a_non_ascii_path(receiver, secret):
    out = webhook_send(hook(receiver.url.replace("/hook", "/钩子"), secret), [msg(1, channel="webhook")])
    assert out[0][0].ok and receiver.seen[0]["path"] == "/%E9%92%A9%E5%AD%90?shop=1"


def test_webhook_over_https_verifies_the_certificate(tls, secret, monkeypatch):
    cert, ctx = tls
    r = Receiver(tls=ctx)
    try:
        assert r.url.startswith("https://")
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate
        out = webhook_send(hook(r.url, secret), [msg(i, channel="webhook") for i in range(3)])
        assert [[a.status for a in x] for x in out] == [["sent"]] * 3
        assert all(x["signature_ok"] for x in r.seen)
        monkeypatch.delenv("SSL_CERT_FILE")  # the system's trust store: a self-signed certificate is refused
        out = webhook_send(hook(r.url, secret, retries=1, concurrency=1), [msg(4, channel="webhook"),
                                                                          msg(5, channel="webhook")])
        assert [(a.status, a.retryable, a.error) for a in out[0]] == [
            ("failed", True, "connect: SSLCertVerificationError")]
        assert out[1] == [] and len(r.keys()) == 3
    finally:
        r.stop()


# ----------------------------------------------------------------------------------------------------- email


class Mailbox:
    """An aiosmtpd handler that records messages and can answer with scripted errors."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.rcpt_reply: dict[str, str] = {}  # address -> reply to RCPT TO
        self.data_replies: list[str] = []  # replies to the next DATA commands, then 250

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rcpt_reply:
            return self.rcpt_reply[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    box = Mailbox()
    port = free_port()
    ctl = Controller(box, hostname="127.0.0.1", port=port)
    ctl.start()
    box.port = port
    yield box
    ctl.stop()


def mail(port: int, **kw) -> ReachSettings:
    args = {"host": "127.0.0.1", "port": port, "sender": "shop@example.com", "timeout_s": 2.0, "retries": 3,
            "backoff_s": 0.01, **kw}
    return ReachSettings(email=ReachEmailSettings(**args))


def email_send(settings: ReachSettings, batch: list[OutMessage]) -> list[list]:
    ch = open_adapter("email", settings, workspace_dir=Path("."))
    assert isinstance(ch, EmailChannel) and ch.name == "email"
    try:
        return ch.send(batch)
    finally:
        ch.close()


def test_email_arrives_with_its_message_id_idempotency_key_and_chinese_content(smtp):
    out = email_send(mail(smtp.port), [msg(1), msg(2, address="li.na@example.cn")])
    assert [[a.status for a in x] for x in out] == [["sent"], ["sent"]]
    assert [(f, to) for f, to, _ in smtp.received] == [("shop@example.com", [ADDRESS]),
                                                       ("shop@example.com", ["li.na@example.cn"])]
    m = email.message_from_bytes(smtp.received[0][2], policy=email.policy.default)
    assert m["Message-ID"] == "<m1@siyu>"
    assert m["Idempotency-Key"] == "m1"
    assert m["To"] == ADDRESS and m["From"] == "shop@example.com"
    assert m["Subject"] == "双十一 · 会员日"
    assert m.get_content_charset() == "utf-8"
    assert m.get_content().replace("\r\n", "\n").rstrip("\n") == CONTENT


def test_email_subject_falls_back_to_the_campaign_id(smtp):
    email_send(mail(smtp.port), [OutMessage("m9", "春节-2025", "u9", "email", "plain", "新年好！\n恭喜发财", "x",
                                            WHEN, address=ADDRESS)])
    m = email.message_from_bytes(smtp.received[0][2], policy=email.policy.default)
    assert m["Subject"] == "春节-2025"
    assert m.get_content().replace("\r\n", "\n") == "新年好！\n恭喜发财\n"


def test_email_5xx_is_not_retried_and_the_connection_serves_the_rest(smtp):
    smtp.rcpt_reply = {"bad@example.cn": "550 5.1.1 <bad@example.cn>: mailbox unavailable"}
    out = email_send(mail(smtp.port), [msg(1, address="bad@example.cn"), msg(2)])
    assert [(a.status, a.retryable, a.error) for a in out[0]] == [("failed", False, "SMTP 550")]
    assert [a.status for a in out[1]] == ["sent"]
    assert [to for _, to, _ in smtp.received] == [[ADDRESS]]
    assert_no_personal_data(out, "bad@example.cn", CONTENT)


def test_email_4xx_is_retried_with_backoff(smtp):
    smtp.data_replies = ["451 4.3.0 try again later", "451 4.3.0 try again later"]
    (attempts,) = email_send(mail(smtp.port, backoff_s=0.05), [msg(1)])
    assert [(a.status, a.retryable, a.error) for a in attempts] == [
        ("failed", True, "SMTP 451"), ("failed", True, "SMTP 451"), ("sent", False, None)]
    gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1
    assert len(smtp.received) == 1


def test_email_4xx_until_retries_run_out_stays_retryable(smtp):
    smtp.data_replies = ["421 4.7.0 closing"] + ["452 4.2.2 mailbox full"] * 5
    (attempts,) = email_send(mail(smtp.port, retries=2), [msg(1)])
    assert [(a.status, a.retryable, a.error) for a in attempts] == [("failed", True, "SMTP 421"),
                                                                   ("failed", True, "SMTP 452")]
    assert smtp.received == []


def test_email_without_address_fails_for_good(smtp):
    out = email_send(mail(smtp.port), [msg(1, address=None), msg(2, address="")])
    assert [[(a.status, a.retryable, a.error) for a in x] for x in out] == [
        [("failed", False, "no email address")]] * 2
    assert smtp.received == []


def test_email_header_injection_is_refused_without_echoing_it(smtp):
    out = email_send(mail(smtp.port), [msg(1, address=f"{ADDRESS}\r\nBcc: spy@example.com")])
    assert [(a.status, a.retryable) for a in out[0]] == [("failed", False)]
    assert_no_personal_data(out, ADDRESS, "spy@example.com", CONTENT)
    assert smtp.received == []


def test_email_server_down_costs_one_message_retries_the_rest_are_not_attempted():
    out = email_send(mail(free_port()), [msg(1), msg(2), msg(3)])
    assert [(a.status, a.retryable, a.error) for a in out[0]] == [
        ("failed", True, "connect: ConnectionRefusedError")] * 3
    assert out[1:] == [[], []]
    assert_no_personal_data(out, ADDRESS, CONTENT)


def test_email_starttls_verifies_the_certificate_and_never_falls_back_to_plain_text(smtp, tls, monkeypatch):
    cert, ctx = tls
    box, port = Mailbox(), free_port()
    ctl = Controller(box, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True)
    ctl.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test certificate
        out = email_send(mail(port, starttls=True), [msg(1)])
        assert [a.status for a in out[0]] == ["sent"] and len(box.received) == 1
        monkeypatch.delenv("SSL_CERT_FILE")  # a self-signed certificate the system does not trust
        out = email_send(mail(port, starttls=True, retries=1), [msg(2), msg(3)])
        assert [(a.status, a.retryable, a.error) for a in out[0]] == [
            ("failed", True, "connect: SSLCertVerificationError")]
        assert out[1] == [] and len(box.received) == 1
        out = email_send(mail(port, starttls=False), [msg(4)])  # the server insists on STARTTLS
        assert [(a.status, a.retryable, a.error) for a in out[0]] == [("failed", False, "SMTP 530")]
    finally:
        ctl.stop()
    out = email_send(mail(smtp.port, starttls=True, retries=1), [msg(5)])  # a server without STARTTLS
    assert [(a.status, a.retryable, a.error) for a in out[0]] == [("failed", True, "connect: SMTPNotSupportedError")]
    assert smtp.received == [] and len(box.received) == 1


def test_email_logs_in_with_the_password_from_the_environment(monkeypatch):
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, data):
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"pass-42", handled=False)

    box, port = Mailbox(), free_port()
    ctl = Controller(box, hostname="127.0.0.1", port=port, authenticator=authenticator, auth_require_tls=False)
    ctl.start()
    try:
        monkeypatch.setenv("SIYU_TEST_SMTP_PW", "pass-42")
        out = email_send(mail(port, username="shop", password_env="SIYU_TEST_SMTP_PW"), [msg(1)])
        assert [a.status for a in out[0]] == ["sent"] and len(box.received) == 1
        assert logins == [(b"shop", b"pass-42")]
        monkeypatch.setenv("SIYU_TEST_SMTP_PW", "wrong")
        out = email_send(mail(port, username="shop", password_env="SIYU_TEST_SMTP_PW", retries=1), [msg(2), msg(3)])
        assert [(a.status, a.retryable, a.error) for a in out[0]] == [("failed", True, "connect: SMTP 535")]
        assert out[1] == [] and len(box.received) == 1
    finally:
        ctl.stop()


def test_email_settings_need_the_password_variable(monkeypatch):
    monkeypatch.delenv("SIYU_TEST_SMTP_PW", raising=False)
    with pytest.raises(ConfigError, match="SIYU_TEST_SMTP_PW is not set"):
        EmailChannel(mail(25, username="shop", password_env="SIYU_TEST_SMTP_PW"), workspace_dir=Path("."),
                     channel="email")
    with pytest.raises(ConfigError, match="password_env"):
        EmailChannel(mail(25, username="shop"), workspace_dir=Path("."), channel="email")
    monkeypatch.setenv("SIYU_TEST_SMTP_PW", "口令")
    with pytest.raises(ConfigError, match="must be ASCII") as e:
        EmailChannel(mail(25, username="shop", password_env="SIYU_TEST_SMTP_PW"), workspace_dir=Path("."),
                     channel="email")
    assert "口令" not in str(e.value)
    assert EmailChannel(mail(25), workspace_dir=Path("."), channel="email").name == "email"  # no login: no password


# ---------------------------------------------------------------------------------------------------- export


def exporter(tmp_path: Path, channel: str = "sms") -> ExportChannel:
    ch = open_adapter(channel, ReachSettings(export_dir="out/packages"), workspace_dir=tmp_path)
    assert isinstance(ch, ExportChannel) and ch.name == "export"
    return ch


def test_export_writes_one_package_and_manifest_per_campaign_and_variant(tmp_path):
    batch = [msg(1, campaign="c11", user="u3", channel="sms", address=None),
             msg(2, campaign="c11", user="u1", channel="sms", address=None),
             msg(3, campaign="c11", user="u3", channel="sms", address=None),  # a user twice: one line
             msg(4, campaign="c11", user="u2", channel="sms", variant="plain", address=None),
             msg(5, campaign="c12", user="u9", channel="sms", address=None)]
    out = exporter(tmp_path).send(batch)
    assert [[(a.message_id, a.status) for a in x] for x in out] == [[(f"m{i}", "exported")] for i in range(1, 6)]
    assert len({a.at for x in out for a in x}) == 1
    root = tmp_path / "out" / "packages"
    manifests = sorted(root.rglob("*.manifest.json"))
    assert [(p.parent.name, p.name.split("-")[1]) for p in manifests] == [("c11", "personalised"), ("c11", "plain"),
                                                                          ("c12", "personalised")]
    man = json.loads(manifests[0].read_text(encoding="utf-8"))
    assert set(man) == {"campaign", "channel", "variant", "content_id", "count", "created_at", "file", "sha256",
                        "message_ids"}
    package = manifests[0].with_name(man["file"])
    data = package.read_bytes()
    assert data == b"u1\nu3\n"
    assert man["count"] == 2 and man["sha256"] == hashlib.sha256(data).hexdigest()
    assert man["message_ids"] == ["m1", "m2", "m3"]
    assert (man["campaign"], man["channel"], man["variant"], man["content_id"]) == (
        "c11", "sms", "personalised", "c11:personalised")
    stamp = out[0][0].at.strftime("%Y%m%dT%H%M%S")
    digest = hashlib.sha256(b"m1\nm2\nm3").hexdigest()[:8]
    assert package.name == f"sms-personalised-{stamp}-{digest}.txt"
    assert manifests[0].name == f"sms-personalised-{stamp}-{digest}.manifest.json"
    assert dt.datetime.fromisoformat(man["created_at"]) == out[0][0].at
    assert sorted(p.name for p in root.rglob("*") if p.is_file() and not p.name.endswith((".txt", ".json"))) == []
    assert not [p for p in root.rglob(".*")]  # no temporary file left


def test_export_keeps_every_package_inside_the_export_directory(tmp_path):
    evil = ["../../escape", "..", ".", "/etc/passwd", "a/../../b", "..\\..\\win", "双十一/会员", "", "x" * 300]
    batch = [msg(i, campaign=c, channel="group_chat", address=None) for i, c in enumerate(evil)]
    out = exporter(tmp_path, "group_chat").send(batch)
    assert all(x[0].status == "exported" for x in out)
    root = (tmp_path / "out" / "packages").resolve()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 2 * len(evil)
    assert all(p.resolve().parent.parent == root for p in files)
    assert {json.loads(p.read_text(encoding="utf-8"))["campaign"] for p in files if p.suffix == ".json"} == set(evil)
    assert len({p.parent for p in files}) == len(evil)


def test_safe_name_keeps_letters_of_any_script_and_marks_what_it_changed():
    assert safe_name("双十一_2024.v2-a") == "双十一_2024.v2-a"
    assert safe_name("会员日 2024") == "会员日_2024-" + hashlib.sha256("会员日 2024".encode()).hexdigest()[:8]
    assert safe_name("..").startswith("_.-") and "/" not in safe_name("../x") and safe_name("") == "_"
    assert safe_name("a/b") != safe_name("a_b")


def test_export_reports_a_failed_write_as_retryable_and_a_user_id_with_a_line_break_for_good(tmp_path):
    root = tmp_path / "out" / "packages"
    root.mkdir(parents=True)
    (root / "blocked").write_text("a file where the campaign directory should be")
    out = exporter(tmp_path).send([msg(1, campaign="blocked", channel="sms", address=None),
                                   msg(2, campaign="ok", channel="sms", address=None),
                                   msg(3, campaign="ok", user="u3\nu4", channel="sms", address=None)])
    assert [(a.status, a.retryable) for a in out[0]] == [("failed", True)]
    assert out[0][0].error.startswith("export failed: ")
    assert [a.status for a in out[1]] == ["exported"]
    assert [(a.status, a.retryable, a.error) for a in out[2]] == [("failed", False, "user id has a line break")]
    (package,) = (root / "ok").glob("*.txt")
    assert package.read_text(encoding="utf-8") == "u2\n"
