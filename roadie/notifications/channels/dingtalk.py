"""DingTalk (钉钉) custom robot.

With a signing secret, `timestamp` (milliseconds) and `sign` are added to the access_token URL:
sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))).
Body: {"msgtype": "markdown", "markdown": {"title", "text"}, "at": {"atMobiles", "isAtAll"}};
a mention shows only when "@<mobile>" is also in the text. A robot takes 20 messages a minute,
or it is blocked for 10 minutes. The answer is {"errcode": 0, "errmsg": "ok"}.
"""

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

from roadie.notifications.channels import http
from roadie.notifications.channels.base import (
    Outgoing,
    PermanentFailure,
    Target,
    TransientFailure,
)
from roadie.notifications.channels.render import render, title

DEFAULT_URL = "https://oapi.dingtalk.com/robot/send?access_token=TOKEN"
BLOCKED_SECONDS = 600
# -1 system busy; 130101 sent too fast (the robot is blocked for 10 minutes).
TRANSIENT_CODES = {-1, 130101}


def sign(secret: str, timestamp_ms: int) -> str:
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    if not secret:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={sign(secret, timestamp_ms)}"


def payload(outgoing: Outgoing) -> dict[str, object]:
    mentions = outgoing.mentions
    return {
        "msgtype": "markdown",
        "markdown": {"title": title(outgoing)[:100], "text": render("dingtalk", outgoing)},
        "at": {
            "atMobiles": list(mentions.mobiles),
            "atUserIds": list(mentions.user_ids),
            "isAtAll": mentions.everyone,
        },
    }


def check_answer(response: http.Response) -> None:
    http.check_status(response, "DingTalk")
    answer = response.json()
    if not isinstance(answer, dict):
        raise TransientFailure(f"DingTalk answered something unexpected: {response.text}")
    code = answer.get("errcode", 0)
    if code == 0:
        return
    message = f"DingTalk errcode {code}: {answer.get('errmsg', '')}"
    if code == 130101:
        raise TransientFailure(message, retry_after=BLOCKED_SECONDS)
    if code in TRANSIENT_CODES:
        raise TransientFailure(message, retry_after=60)
    # 310000: the signature, keywords or IP allow-list did not match; 300001: no such robot.
    raise PermanentFailure(message)


def send(target: Target, outgoing: Outgoing, *, now_ms: int | None = None) -> None:
    timestamp = now_ms if now_ms is not None else int(time.time() * 1000)
    url = signed_url(target.url, target.secret, timestamp)
    response = http.post(url, http.dumps(payload(outgoing)), {}, target.timeout)
    check_answer(response)
