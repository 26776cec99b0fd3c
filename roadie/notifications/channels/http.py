"""A small JSON-over-HTTP client with a kept-alive connection per thread and host."""

import http.client
import json
import socket
import ssl
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from roadie.notifications.channels import addresses
from roadie.notifications.channels.base import PermanentFailure, TransientFailure

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Roadie-Notifications/1"

_local = threading.local()


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")[:500]


def _connections() -> dict[tuple[str, str, int, float], http.client.HTTPConnection]:
    if not hasattr(_local, "connections"):
        _local.connections = {}
    return _local.connections  # type: ignore[no-any-return]


class _Connection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = addresses.create_connection

    def connect(self) -> None:
        super().connect()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the
        # peer's delayed ACK stall every request on a kept-alive connection by ~40 ms.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _TlsConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = addresses.create_connection

    def connect(self) -> None:
        super().connect()
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _connect(scheme: str, host: str, port: int, timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        return _TlsConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    return _Connection(host, port, timeout=timeout)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST `body`; network trouble is a TransientFailure. Redirects are not followed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentFailure(f"not an http(s) URL: {url[:80]}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    all_headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Content-Length": str(len(body)),
        **headers,
    }
    key = (parts.scheme, parts.hostname, port, timeout)
    pool = _connections()
    for attempt in (1, 2):
        connection = pool.get(key)
        reused = connection is not None
        if connection is None:
            connection = _connect(parts.scheme, parts.hostname, port, timeout)
            pool[key] = connection
        try:
            connection.request("POST", path, body=body, headers=all_headers)
            raw = connection.getresponse()
            data = raw.read(MAX_RESPONSE_BYTES + 1)
            response = Response(
                raw.status, data[:MAX_RESPONSE_BYTES], {k.lower(): v for k, v in raw.getheaders()}
            )
            if raw.will_close or len(data) > MAX_RESPONSE_BYTES:
                connection.close()
                pool.pop(key, None)
            return response
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as error:
            connection.close()
            pool.pop(key, None)
            if reused and attempt == 1:
                continue  # the kept-alive connection had gone stale: once more, on a new one
            raise TransientFailure(f"{type(error).__name__}: {error}") from error
        except addresses.BlockedAddress:
            connection.close()
            pool.pop(key, None)
            raise
        except ssl.SSLCertVerificationError as error:
            connection.close()
            pool.pop(key, None)
            raise PermanentFailure(f"TLS certificate rejected: {error}") from error
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            pool.pop(key, None)
            raise TransientFailure(f"{type(error).__name__}: {error}") from error
    raise TransientFailure("connection failed")  # pragma: no cover — the loop returns or raises


def check_status(response: Response, platform: str) -> None:
    """Map an HTTP status to success or the right failure (platform-agnostic part)."""
    if 200 <= response.status < 300:
        return
    retry_after = _retry_after(response)
    if response.status in (408, 425, 429) or response.status >= 500:
        raise TransientFailure(
            f"{platform} answered HTTP {response.status}: {response.text}", retry_after=retry_after
        )
    raise PermanentFailure(f"{platform} answered HTTP {response.status}: {response.text}")


def _retry_after(response: Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def dumps(payload: object) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
