"""WeCom (企业微信) group robot: the key is in the URL; markdown, or text with @-mentions.

POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY
{"msgtype": "markdown", "markdown": {"content": ...}} — markdown cannot @ by mobile, so a
message that mentions people is sent as {"msgtype": "text", "text": {"content", "mentioned_list",
"mentioned_mobile_list"}}. The answer is {"errcode": 0, "errmsg": "ok"}.
"""

from roadie.notifications.channels import http
from roadie.notifications.channels.base import (
    Outgoing,
    PermanentFailure,
    Target,
    TransientFailure,
)
from roadie.notifications.channels.render import render

DEFAULT_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY"
MARKDOWN_LIMIT = 4096  # bytes
TEXT_LIMIT = 2048  # bytes
# -1 system busy, 45009 API frequency out of limit: try again later. Everything else is final.
TRANSIENT_CODES = {-1, 45009, 45033}


def _truncate(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def payload(outgoing: Outgoing) -> dict[str, object]:
    mentions = outgoing.mentions
    if mentions:
        mentioned = list(mentions.user_ids) + (["@all"] if mentions.everyone else [])
        return {
            "msgtype": "text",
            "text": {
                "content": _truncate(
                    render("wecom", outgoing, extension="txt", name="message"), TEXT_LIMIT
                ),
                "mentioned_list": mentioned,
                "mentioned_mobile_list": list(mentions.mobiles),
            },
        }
    return {
        "msgtype": "markdown",
        "markdown": {"content": _truncate(render("wecom", outgoing), MARKDOWN_LIMIT)},
    }


def check_answer(response: http.Response) -> None:
    http.check_status(response, "WeCom")
    answer = response.json()
    if not isinstance(answer, dict):
        raise TransientFailure(f"WeCom answered something unexpected: {response.text}")
    code = answer.get("errcode", 0)
    if code == 0:
        return
    message = f"WeCom errcode {code}: {answer.get('errmsg', '')}"
    if code in TRANSIENT_CODES:
        raise TransientFailure(message, retry_after=60)
    raise PermanentFailure(message)


def send(target: Target, outgoing: Outgoing) -> None:
    response = http.post(target.url, http.dumps(payload(outgoing)), {}, target.timeout)
    check_answer(response)
