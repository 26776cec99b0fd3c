"""Loopback HTTP receivers that check each platform's signature the way the platform documents it.

Written apart from the senders on purpose: each verifier follows the platform's own published
receiver recipe, so a sender that signs the wrong way round fails here.
"""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Answer:
    status: int = 200
    body: Any = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    content_type: str = "application/json"


class Receiver:
    """`with SomeReceiver() as r:` serves on 127.0.0.1:r.port; r.requests holds what arrived."""

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[Request] = []
        self.truncated = 0
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:
                    # The sender died mid-request (the SIGKILL test): nothing to answer.
                    receiver.truncated += 1
                    self.close_connection = True
                    return
                parts = urlsplit(self.path)
                request = Request(
                    path=parts.path,
                    query={k: v[0] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                with receiver.lock:
                    receiver.requests.append(request)
                    answer = receiver.answer(request)
                receiver.arrived.set()
                if receiver.delay:
                    time.sleep(receiver.delay)
                data = (
                    answer.body.encode()
                    if isinstance(answer.body, str)
                    else json.dumps(answer.body).encode()
                )
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, request: Request) -> Answer:
        return Answer()

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class WebhookReceiver(Receiver):
    """The receiver recipe of docs/notifications.md: HMAC-SHA256 over "<timestamp>.<body>",
    a five-minute replay window, duplicates dropped by X-Roadie-Delivery."""

    path = "/hooks/roadie"

    def __init__(self, secret: str, *, delay: float = 0.0, fail_first: int = 0) -> None:
        super().__init__(delay=delay)
        self.secret = secret
        self.fail_first = fail_first
        self.accepted: dict[str, Request] = {}
        self.deliveries: Counter[str] = Counter()
        self.rejected: list[str] = []

    @property
    def url(self) -> str:
        return self.base + self.path

    def answer(self, request: Request) -> Answer:
        timestamp = request.headers.get("x-roadie-timestamp", "")
        given = request.headers.get("x-roadie-signature", "")
        expected = (
            "sha256="
            + hmac.new(
                self.secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
            ).hexdigest()
        )
        if not hmac.compare_digest(given, expected):
            self.rejected.append("signature")
            return Answer(401, {"error": "bad signature"})
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            self.rejected.append("replay")
            return Answer(401, {"error": "timestamp outside the replay window"})
        if self.fail_first > 0:
            self.fail_first -= 1
            return Answer(503, {"error": "try later"})
        key = request.headers["x-roadie-delivery"]
        self.deliveries[key] += 1
        self.accepted.setdefault(key, request)
        return Answer(200, {"ok": True})


class DingTalkReceiver(Receiver):
    """DingTalk's documented check: sign == urlencode(base64(HmacSHA256(key=secret,
    "timestamp\\nsecret"))), the timestamp within an hour; 20 messages a minute per robot."""

    def __init__(self, secret: str, token: str = "tok-ding") -> None:
        super().__init__()
        self.secret = secret
        self.token = token
        self.messages: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"{self.base}/robot/send?access_token={self.token}"

    def answer(self, request: Request) -> Answer:
        if request.query.get("access_token") != self.token:
            return Answer(200, {"errcode": 300001, "errmsg": "token is not exist"})
        timestamp = request.query.get("timestamp", "")
        string_to_sign = f"{timestamp}\n{self.secret}"
        hmac_code = hmac.new(
            self.secret.encode("utf-8"), string_to_sign.encode("utf-8"), digestmod=hashlib.sha256
        ).digest()
        # parse_qs already URL-decoded the query value.
        expected = base64.b64encode(hmac_code).decode()
        fresh = timestamp.isdigit() and abs(time.time() * 1000 - int(timestamp)) < 3600_000
        if not fresh or not hmac.compare_digest(request.query.get("sign", ""), expected):
            return Answer(200, {"errcode": 310000, "errmsg": "sign not match"})
        recent = [m for m in self.messages if m["_at"] > time.time() - 60]
        if len(recent) >= 20:
            return Answer(200, {"errcode": 130101, "errmsg": "send too fast"})
        body = request.json
        if body.get("msgtype") != "markdown" or not {"title", "text"} <= set(body["markdown"]):
            return Answer(200, {"errcode": 40035, "errmsg": "invalid parameter"})
        self.messages.append({**body, "_at": time.time()})
        return Answer(200, {"errcode": 0, "errmsg": "ok"})


class FeishuReceiver(Receiver):
    """Feishu's documented check: sign == base64(HmacSHA256(key="timestamp\\nsecret", msg="")),
    read from the JSON body."""

    def __init__(self, secret: str, hook: str = "hook-feishu") -> None:
        super().__init__()
        self.secret = secret
        self.hook = hook
        self.messages: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"{self.base}/open-apis/bot/v2/hook/{self.hook}"

    def answer(self, request: Request) -> Answer:
        if request.path != f"/open-apis/bot/v2/hook/{self.hook}":
            return Answer(
                200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
            )
        body = request.json
        timestamp = str(body.get("timestamp", ""))
        string_to_sign = f"{timestamp}\n{self.secret}"
        hmac_code = hmac.new(string_to_sign.encode("utf-8"), digestmod=hashlib.sha256).digest()
        expected = base64.b64encode(hmac_code).decode("utf-8")
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 3600
        if not fresh or not hmac.compare_digest(str(body.get("sign", "")), expected):
            return Answer(
                200,
                {
                    "code": 19021,
                    "msg": "sign match fail or timestamp is not within one hour from current time",
                },
            )
        if body.get("msg_type") not in ("text", "interactive", "post"):
            return Answer(200, {"code": 9499, "msg": "Bad Request"})
        self.messages.append(body)
        return Answer(200, {"code": 0, "msg": "success", "data": {}})


class WeComReceiver(Receiver):
    """WeCom group robot: the key in the URL is the credential."""

    def __init__(self, key: str = "wecom-key") -> None:
        super().__init__()
        self.key = key
        self.messages: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"{self.base}/cgi-bin/webhook/send?key={self.key}"

    def answer(self, request: Request) -> Answer:
        if request.path != "/cgi-bin/webhook/send" or request.query.get("key") != self.key:
            return Answer(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
        body = request.json
        kind = body.get("msgtype")
        if kind not in ("text", "markdown") or not body.get(kind, {}).get("content"):
            return Answer(200, {"errcode": 40008, "errmsg": "invalid message type"})
        self.messages.append(body)
        return Answer(200, {"errcode": 0, "errmsg": "ok"})


class SlackReceiver(Receiver):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return f"{self.base}/services/T000/B000/XXXX"

    def answer(self, request: Request) -> Answer:
        if request.path != "/services/T000/B000/XXXX":
            return Answer(404, "no_service", "text/plain")
        body = request.json
        if not isinstance(body.get("text"), str) or not isinstance(body.get("blocks"), list):
            return Answer(400, "invalid_payload", "text/plain")
        self.messages.append(body)
        return Answer(200, "ok", "text/plain")
