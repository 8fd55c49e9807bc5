"""Email through a real SMTP server as README's production block configures it: the server
and its account from EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, over
STARTTLS (EMAIL_USE_TLS) with the server's certificate checked.

Before, the settings read EMAIL_BACKEND alone: with the SMTP backend every message went to
localhost:25 with no account, whatever the operator's mail service.

aiosmtpd is the server, on a free port, with a certificate made for "localhost" that the
client is told to trust (SSL_CERT_FILE); it refuses AUTH before STARTTLS and any account but
the one configured. `manage.py sendtestemail` sends through the default mailer, which is
the one the outbox's EmailSender uses.
"""

import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.conf import settings

from pledgeloop.conftest import free_port, self_signed_certificate

ROOT = Path(settings.BASE_DIR)
USER, PASSWORD = "pledgeloop@mail.example.cn", "s3cret-smtp"


class Inbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    # handled=False: the server answers a failure itself (535), as a mail service does.
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server(tmp_path):
    cert, key = self_signed_certificate(tmp_path, "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
    )
    controller.start()
    yield controller.port, cert, inbox
    controller.stop()


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "TMPDIR"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=inherited
        | {
            "DJANGO_SETTINGS_MODULE": "pledgeloop.settings",
            "SECRET_KEY_FILE": str(ROOT / "var" / "secret_key"),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "localhost",
            "DEFAULT_FROM_EMAIL": USER,
        }
        | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_mail_goes_to_the_configured_server_over_starttls_with_its_account(smtp_server):
    port, cert, inbox = smtp_server
    sent = _manage(
        "sendtestemail",
        "secretary@jianghai.example.cn",
        env={
            "EMAIL_PORT": str(port),
            "EMAIL_HOST_USER": USER,
            "EMAIL_HOST_PASSWORD": PASSWORD,
            "EMAIL_USE_TLS": "1",
            "SSL_CERT_FILE": str(cert),  # the client checks the server's certificate
        },
    )
    assert sent.returncode == 0, sent.stderr[-2000:]
    [(sender, recipients, content)] = inbox.messages
    assert sender == USER and recipients == ["secretary@jianghai.example.cn"]
    assert b"Test email from" in content


def test_a_wrong_password_or_no_tls_sends_nothing_and_says_why(smtp_server):
    port, cert, inbox = smtp_server
    common = {"EMAIL_PORT": str(port), "EMAIL_HOST_USER": USER, "SSL_CERT_FILE": str(cert)}
    wrong = _manage(
        "sendtestemail",
        "a@example.cn",
        env=common | {"EMAIL_HOST_PASSWORD": "guess", "EMAIL_USE_TLS": "1"},
    )
    assert wrong.returncode != 0 and "SMTPAuthenticationError" in wrong.stderr
    plain = _manage("sendtestemail", "a@example.cn", env=common | {"EMAIL_HOST_PASSWORD": PASSWORD})
    # Without STARTTLS the server offers no AUTH, as mail services do.
    assert plain.returncode != 0 and "AUTH extension not supported" in plain.stderr
    assert inbox.messages == []


def test_tls_and_ssl_together_are_refused_at_start():
    both = _manage("check", env={"EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"})
    assert both.returncode != 0
    assert "Set EMAIL_USE_TLS (STARTTLS, port 587) or EMAIL_USE_SSL (port 465), not both" in (
        both.stderr
    )
