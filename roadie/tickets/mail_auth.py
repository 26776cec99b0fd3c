"""Did the receiving mail server find the sender forged? (Authentication-Results, RFC 8601)

Roadie knows a customer by the From address, which anyone can write. The server that received
the message checked SPF, DKIM and DMARC and says so in an Authentication-Results header on top
of the message. Only its verdict counts: with ROADIE_MAIL_AUTHSERV_ID set, the headers naming
that server; without, the topmost header, which the last hop (the receiving server) added.
A verdict here can only hold a message back for review; it never lets in one that the other
rules would hold, so a header the sender wrote himself gains him nothing.
"""

import re

COMMENT = re.compile(r"\([^()]*\)")
RESULT = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z]+)", re.IGNORECASE)


def _verdicts(value: str) -> tuple[str, dict[str, str]]:
    """(authserv-id, {method: result}) of one header; the first result of a method counts."""
    parts = COMMENT.sub(" ", value).split(";")
    server = (parts[0].split() or [""])[0].lower()
    results: dict[str, str] = {}
    for part in parts[1:]:
        if match := RESULT.match(part):
            results.setdefault(match.group(1).lower(), match.group(2).lower())
    return server, results


def authentication_failure(headers: list[str], *, authserv_id: str = "") -> str:
    """'' when nothing says the From address was forged; otherwise what failed ("dmarc=fail").

    `headers` are the message's Authentication-Results values, top first. DMARC decides when
    it was evaluated; without it, SPF failing with no passing DKIM signature does. A DKIM
    failure alone is no verdict: mailing lists and forwarders break signatures every day.
    """
    wanted = authserv_id.strip().lower()
    chosen = [v for v in (_verdicts(h) for h in headers) if not wanted or v[0] == wanted]
    if not wanted:
        chosen = chosen[:1]
    for _server, results in chosen:
        dmarc = results.get("dmarc")
        if dmarc == "fail":
            return "dmarc=fail"
        if dmarc == "pass":
            continue
        if results.get("spf") == "fail" and results.get("dkim") != "pass":
            return "spf=fail"
    return ""
