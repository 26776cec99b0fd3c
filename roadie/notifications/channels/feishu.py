"""Feishu / Lark custom bot: the signature goes in the JSON body, not the URL.

{"timestamp": "<seconds>", "sign": base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")),
"msg_type": "interactive", "card": {...}}. Note the HMAC is keyed by "timestamp\\nsecret" over an
empty message — the reverse of DingTalk, which keys by the secret over "timestamp\\nsecret".
The answer is {"code": 0, "msg": "success"} (older bots: {"StatusCode": 0}).
"""

import base64
import hashlib
import hmac
import time

from django.utils import translation

from roadie.notifications.channels import http
from roadie.notifications.channels.base import (
    Outgoing,
    PermanentFailure,
    Target,
    TransientFailure,
)
from roadie.notifications.channels.render import render, title
from roadie.notifications.events import link_label

DEFAULT_URL = "https://open.feishu.cn/open-apis/bot/v2/hook/HOOK_ID"
# 11232: frequency limited; 9499 with "too many request". 19021 (bad signature) and the rest
# are final.
TRANSIENT_CODES = {11232}


def sign(secret: str, timestamp: int) -> str:
    key = f"{timestamp}\n{secret}".encode()
    digest = hmac.new(key, b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _label(name: str, outgoing: Outgoing) -> str:
    with translation.override(outgoing.language or "zh-hans"):
        return str(link_label(name))


def payload(outgoing: Outgoing, secret: str, timestamp: int) -> dict[str, object]:
    links = [(label, url) for item in outgoing.items[:1] for label, url in item.links.items()]
    elements: list[dict[str, object]] = [
        {"tag": "div", "text": {"tag": "lark_md", "content": render("feishu", outgoing)}}
    ]
    if links and not outgoing.is_digest:
        elements.append(
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": _label(name, outgoing)},
                        "url": url,
                        "type": "primary" if index == 0 else "default",
                    }
                    for index, (name, url) in enumerate(links)
                ],
            }
        )
    body: dict[str, object] = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {
                "title": {"tag": "plain_text", "content": title(outgoing)[:100]},
                "template": "red" if outgoing.urgent else "blue",
            },
            "elements": elements,
        },
    }
    if secret:
        body = {"timestamp": str(timestamp), "sign": sign(secret, timestamp), **body}
    return body


def check_answer(response: http.Response) -> None:
    http.check_status(response, "Feishu")
    answer = response.json()
    if not isinstance(answer, dict):
        raise TransientFailure(f"Feishu answered something unexpected: {response.text}")
    code = answer.get("code", answer.get("StatusCode", 0))
    if code == 0:
        return
    message = f"Feishu code {code}: {answer.get('msg', answer.get('StatusMessage', ''))}"
    if code in TRANSIENT_CODES:
        raise TransientFailure(message, retry_after=60)
    raise PermanentFailure(message)


def send(target: Target, outgoing: Outgoing, *, now: int | None = None) -> None:
    timestamp = now if now is not None else int(time.time())
    body = http.dumps(payload(outgoing, target.secret, timestamp))
    response = http.post(target.url, body, {}, target.timeout)
    check_answer(response)
