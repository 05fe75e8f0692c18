"""The email adapter: real SMTP (``[reach.email]``) with the standard library.

One SMTP connection serves a whole :meth:`EmailChannel.send` call (opened at the first message, reopened after
the server drops it, closed with ``QUIT`` at the end). Each message is a UTF-8 :class:`email.message.EmailMessage`
from ``sender`` to ``msg.address`` whose ``Message-ID`` is ``<message_id@siyu>`` and whose ``Idempotency-Key`` is the
message id.

Outcomes: accepted → ``sent``; SMTP 4xx replies, timeouts, refused or dropped connections → ``failed`` and
retryable, tried again in the same call up to ``retries`` attempts, waiting ``backoff_s``, 2 × ``backoff_s``, ...;
SMTP 5xx replies → ``failed``, not retryable (no retry); no address or a header that cannot be built (a line break)
→ ``failed``, not retryable. Error texts are ``SMTP <code>`` or the exception class: never the address or content.

When the server cannot be reached (connect, STARTTLS or login fails) on every attempt of one message, the messages
after it in the batch are not attempted: their attempt list is empty, which the outbox reads as "retry later,
no attempt spent" (a dead server costs one message's retries, not ``retries`` × ``backoff_s`` per message).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

from tenacity import Retrying

from siyu._exceptions import ConfigError
from siyu.reach.channels.base import Attempt, OutMessage, retrying

__all__ = ["EmailChannel"]


class _ConnectFailed(Exception):
    """Opening the connection failed (wraps the cause): the server is unreachable or refuses us."""


@functools.cache
def _local_hostname() -> str:
    return socket.getfqdn()


class EmailChannel:
    """Sends each message of a batch by SMTP (see the module docstring).

    Parameters
    ----------
    settings : siyu.config.ReachSettings
        Reads ``email`` (:class:`siyu.config.ReachEmailSettings`).
    workspace_dir : pathlib.Path, optional
        Unused (the adapter signature).
    channel : str
        The reach channel served.

    Raises
    ------
    ConfigError
        If ``username`` is set but ``password_env`` is not, or names an environment variable that is not set or
        empty, or the username or password is not ASCII (the message names the variable, never a value).
    """

    name = "email"

    def __init__(self, settings: Any, *, workspace_dir: Path | None = None, channel: str = "email") -> None:
        self.cfg = settings.email
        self.channel = channel
        self._password: str | None = None
        if self.cfg.username:
            var = self.cfg.password_env
            if not var:
                raise ConfigError("[reach.email] username is set but password_env (the name of the environment "
                                  "variable holding the password) is not")
            self._password = os.environ.get(var)
            if not self._password:
                raise ConfigError(f"[reach.email] password_env: environment variable {var} is not set or empty")
            if not (self.cfg.username.isascii() and self._password.isascii()):
                raise ConfigError(f"[reach.email] username and the password in {var} must be ASCII (SMTP AUTH)")
        self._smtp: smtplib.SMTP | None = None
        self._policy = retrying(self.cfg.retries, self.cfg.backoff_s)

    def send(self, batch: list[OutMessage]) -> list[list[Attempt]]:
        """Send every message of ``batch`` over one connection; each message's attempts, in order."""
        out: list[list[Attempt]] = []
        down = False
        try:
            for m in batch:
                if down:
                    out.append([])
                    continue
                attempts: list[Attempt] = []
                Retrying(**self._policy)(self._attempt, m, attempts)
                out.append(attempts)
                down = not attempts[-1].ok and (attempts[-1].error or "").startswith("connect: ")
        finally:
            self.close()
        return out

    def close(self) -> None:
        """Say ``QUIT`` and close the connection, if one is open."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _attempt(self, m: OutMessage, attempts: list[Attempt]) -> Attempt:
        a = self._deliver(m)
        attempts.append(a)
        return a

    def _deliver(self, m: OutMessage) -> Attempt:
        def failed(error: str, retryable: bool) -> Attempt:
            return Attempt(m.message_id, "failed", retryable=retryable, error=error, at=now)

        now = dt.datetime.now()
        if not m.address:
            return failed("no email address", False)
        try:
            em = self._message(m)
        except (ValueError, TypeError) as e:  # a line break in the address or subject, ...
            return failed(f"message not buildable: {type(e).__name__}", False)
        try:
            smtp = self._connection()
        except _ConnectFailed as e:
            return failed(f"connect: {_classify(e.__cause__)[0]}", True)
        try:
            smtp.send_message(em, from_addr=self.cfg.sender, to_addrs=[m.address])
        except smtplib.SMTPNotSupportedError as e:  # e.g. a non-ASCII address on a server without SMTPUTF8
            return failed(type(e).__name__, False)
        except (smtplib.SMTPException, OSError) as e:
            error, retryable = _classify(e)
            if not isinstance(e, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused) \
                    or smtp.sock is None or error == "SMTP 421":
                self._drop()  # the session is in an unknown state, or gone: the next attempt reconnects
            return failed(error, retryable)
        return Attempt(m.message_id, "sent", at=now)

    def _message(self, m: OutMessage) -> EmailMessage:
        em = EmailMessage()
        em["From"] = self.cfg.sender
        em["To"] = m.address
        em["Subject"] = m.subject or m.campaign_id
        em["Date"] = formatdate(localtime=True)
        em["Message-ID"] = f"<{m.message_id}@siyu>"
        em["Idempotency-Key"] = m.message_id
        em.set_content(m.content, charset="utf-8")
        return em

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        c = self.cfg
        try:
            smtp = smtplib.SMTP(c.host, c.port, local_hostname=_local_hostname(), timeout=c.timeout_s)
        except (smtplib.SMTPException, OSError) as e:
            raise _ConnectFailed from e
        try:
            smtp.ehlo_or_helo_if_needed()
            if c.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, self._password or "")
        except (smtplib.SMTPException, OSError, ValueError) as e:
            smtp.close()
            raise _ConnectFailed from e
        self._smtp = smtp
        return smtp

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()


def _classify(e: BaseException | None) -> tuple[str, bool]:
    """The error text (the SMTP code or the exception class, never the server's reply text, which may quote the
    address) and whether a later attempt may succeed."""
    code = None
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        code = next((c for c, _ in e.recipients.values()), None)
    elif isinstance(e, smtplib.SMTPResponseException):
        code = e.smtp_code
    if isinstance(code, int) and code > 0:
        return f"SMTP {code}", not 500 <= code < 600
    return type(e).__name__, True
