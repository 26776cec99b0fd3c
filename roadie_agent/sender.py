"""Posting one batch to Roadie with urllib (no third-party HTTP client on customers' servers)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from roadie_agent import __version__

USER_AGENT = f"roadie-agent/{__version__}"


@dataclass(frozen=True)
class Outcome:
    """`sent`: Roadie has it. `drop`: Roadie refuses it for good (do not resend).
    Otherwise keep it and try again later (network down, Roadie down, token refused)."""

    sent: bool
    drop: bool
    status: int | None
    message: str


class Sender:
    def __init__(self, *, endpoint: str, token: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.token = token
        self.timeout = timeout

    def send(self, body: dict[str, Any], *, key: str) -> Outcome:
        data = json.dumps(body, separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310 - the configured https/http URL
            self.endpoint,
            data=data,
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                "User-Agent": USER_AGENT,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return Outcome(True, False, response.status, "")
        except urllib.error.HTTPError as error:
            detail = _detail(error)
            status = error.code
            # 400/413/422: this batch can never be accepted (e.g. older than 7 days).
            drop = status in (400, 413, 422)
            return Outcome(False, drop, status, detail)
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            reason = getattr(error, "reason", error)
            return Outcome(False, False, None, str(reason))


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read() or b"{}")
        return str(body.get("detail") or body)
    except (ValueError, OSError):
        return error.reason if isinstance(error.reason, str) else ""
