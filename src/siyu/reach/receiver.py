"""A reference webhook receiver: what a merchant's endpoint must do with siyu's messages, runnable on 127.0.0.1.

It verifies ``X-Siyu-Signature`` (hex HMAC-SHA256 of the raw body with the shared secret) in constant time and
answers 401 when it does not match; it dedupes on ``Idempotency-Key`` — a message delivered twice (siyu delivers at
least once) is acknowledged again but handled once. ``siyu demo`` starts one for its webhook campaign and stops it;
a merchant can read it as the contract of their own endpoint (docs/reach.md §Channels).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Receiver"]


class Receiver:
    """A local webhook receiver in a background thread.

    Parameters
    ----------
    secret : str
        The shared HMAC secret.

    Attributes
    ----------
    handled : dict
        Idempotency key -> the message body, each handled once.
    deliveries : int
        Requests with a valid signature (duplicates included).
    """

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode("utf-8")
        self.handled: dict[str, dict[str, Any]] = {}
        self.deliveries = 0
        self.rejected = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the receiver first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/siyu"

    def start(self) -> Receiver:
        """Listen on 127.0.0.1 at a free port."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                want = hmac.new(receiver.secret, body, hashlib.sha256).hexdigest()
                ok = hmac.compare_digest(want, self.headers.get("X-Siyu-Signature") or "")
                key = self.headers.get("Idempotency-Key") or ""
                with receiver._lock:
                    if ok:
                        receiver.deliveries += 1
                        receiver.handled.setdefault(key, json.loads(body))
                    else:
                        receiver.rejected += 1
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # bodies hold user ids: never logged
                pass

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # the standard library's 5 refuses a sender's concurrent connections

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="siyu-receiver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
