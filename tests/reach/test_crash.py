"""Nothing is lost when sending is killed: ``kill -9`` during ``siyu campaign send``, then a second send, delivers
every planned message, and a receiver that dedupes on the message id acts on each exactly once (docs/reach.md
§The outbox). Real parts: the ``siyu`` executable in its own process, a local HTTP receiver and an aiosmtpd server."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import hashlib
import hmac
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from siyu.reach import outbox, plan
from tests.reach.conftest import campaign, grant, make_store

SECRET = "crash-test-secret"
AT = "2024-05-10 10:00"
N = 240


class SlowHook:
    """An HTTP receiver that checks the signature, takes 10 ms per request and counts each idempotency key."""

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.bad = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                good = hmac.compare_digest(hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
                                           self.headers.get("X-Siyu-Signature", ""))
                time.sleep(0.01)
                if good:
                    hook.keys[self.headers["Idempotency-Key"]] += 1
                else:
                    hook.bad += 1
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a) -> None:
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SlowMail:
    """An aiosmtpd handler that takes 10 ms per message and counts each Idempotency-Key header."""

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.01)
        msg = email.message_from_bytes(envelope.content)
        self.keys[msg["Idempotency-Key"]] += 1
        return "250 OK"


def _send(ws_path, env):
    return subprocess.Popen([sys.executable, "-m", "siyu", "campaign", "send", "c1", "--at", AT],
                            env={**os.environ, **env, "SIYU_WORKSPACE": str(ws_path)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("channel", ["webhook", "email"])
def test_kill_9_during_send_loses_nothing_and_acts_once(tmp_path, channel):
    users = [f"u{i:03d}" for i in range(N)]
    if channel == "webhook":
        rx = SlowHook()
        toml = f'[reach.webhook]\nurl = "{rx.url}"\nconcurrency = 4\n'
        counted = rx
    else:
        handler = SlowMail()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        ctl = Controller(handler, hostname="127.0.0.1", port=port)
        ctl.start()
        toml = f'[reach.email]\nhost = "127.0.0.1"\nport = {port}\n'
        counted = handler
    try:
        ws = make_store(tmp_path, users, grant(users), emails={u: f"{u}@example.com" for u in users},
                        toml="[reach]\nglobal_control = 0.0\nbatch_size = 20\n" + toml)
        res = plan(ws, campaign(channels=[channel]), dt.datetime.fromisoformat(AT))
        planned = {r["message_id"] for r in outbox(ws).to_pylist()}
        assert res["planned"] == len(planned) == N
        ws.close()
        env = {"SIYU_WEBHOOK_SECRET": SECRET}
        first = _send(ws.path, env)
        deadline = time.monotonic() + 120
        while sum(counted.keys.values()) < N // 3 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.01)
        assert first.poll() is None, "the first send finished before it could be killed"
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert first.returncode == -signal.SIGKILL
        got_before = set(counted.keys)
        assert 0 < len(got_before) < N  # killed in the middle
        second = _send(ws.path, env)
        _, err = second.communicate(timeout=300)
        assert second.returncode == 0, err
        assert set(counted.keys) == planned  # every planned message reached the receiver
        dupes = sum(counted.keys.values()) - N
        assert 0 <= dupes <= 20 * 2  # only what was in flight, uncommitted, went twice (a batch or two)
        from siyu.workspace import Workspace

        ws = Workspace(ws.path)
        rows = outbox(ws).to_pylist()
        assert {r["status"] for r in rows} == {"sent"} and len(rows) == N
        ok = ws.query("SELECT message_id, count(*) AS n FROM reach_log WHERE status = 'sent' GROUP BY ALL").to_pylist()
        assert {r["message_id"] for r in ok} == planned and {r["n"] for r in ok} == {1}
        ws.close()
    finally:
        if channel == "webhook":
            rx.stop()
        else:
            ctl.stop()
