"""A webhook receiver on 127.0.0.1 (http.server in a thread): it checks each delivery's
signature as a subscriber would, and answers with the statuses it is told to (then 200).
With `stall_on = n` it holds the n-th request unanswered (its status None) until `release`
is set, and sets `stalled` when that request has arrived: a sender caught mid-delivery."""

import hashlib
import hmac
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, secret: str = ""):
        self.secret = secret
        self.received: list[dict] = []  # every request, answered or not
        self.answers: list[int] = []  # statuses to answer first, in order
        self.url = ""
        self.server = None
        self.stall_on: int | None = None
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.count = 0

    def verified(self, headers, body: bytes) -> bool:
        expected = hmac.new(
            self.secret.encode(),
            headers["X-Pledgeloop-Timestamp"].encode() + b"." + body,
            hashlib.sha256,
        ).hexdigest()
        return hmac.compare_digest(headers["X-Pledgeloop-Signature"], "sha256=" + expected)

    @property
    def accepted(self) -> list[dict]:
        return [r for r in self.received if r["status"] == 200]


def receiver_start(secret: str = "") -> Receiver:
    """A receiver answering on a free port of 127.0.0.1 until receiver_stop."""
    receiver = Receiver(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                receiver.count += 1
                stall = receiver.count == receiver.stall_on
                status = None if stall else receiver.answers.pop(0) if receiver.answers else 200
                receiver.received.append(
                    {
                        "status": status,
                        "delivery": self.headers["X-Pledgeloop-Delivery"],
                        "verified": receiver.verified(self.headers, body),
                        "payload": json.loads(body),
                    }
                )
            if stall:
                receiver.stalled.set()
                receiver.release.wait(timeout=300)
                return
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll: shutdown() waits for the loop to look (0.5 s by default).
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    receiver.server = server
    receiver.url = f"http://127.0.0.1:{server.server_port}/hook"
    return receiver


def receiver_stop(receiver: Receiver) -> None:
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()


@contextmanager
def receiving(secret: str = ""):
    receiver = receiver_start(secret)
    try:
        yield receiver
    finally:
        receiver_stop(receiver)
