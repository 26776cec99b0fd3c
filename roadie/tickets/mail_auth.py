"""Did the receiving mail server find the sender forged? (Authentication-Results, RFC 8601)

Roadie knows a customer by the From address, which anyone can write. The server that received
the message checked SPF, DKIM and DMARC and says so in an Authentication-Results header on top
of the message. Only its verdict counts: with ROADIE_MAIL_AUTHSERV_ID set, the headers naming
that server; without, the topmost header, which the last hop (the receiving server) added.
A verdict here can only hold a message back for review; it never lets in one that the other
rules would hold, so a header the sender wrote himself gains him nothing.
"""

import re

RESULT = re.compile(r"^\s*([a-z0-9_-]+)(?:/\d+)?\s*=\s*([a-z]+)", re.IGNORECASE)
SPF_FAILED = frozenset({"fail", "hardfail"})


def _statements(value: str) -> list[str]:
    """The header split at semicolons outside quoted strings; comments (nested too) dropped."""
    statements: list[str] = []
    current: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in value:
        if escaped:
            escaped = False
            if not depth:
                current.append(char)
        elif char == "\\" and (quoted or depth):
            escaped = True
            if not depth:
                current.append(char)
        elif depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
        elif quoted:
            quoted = char != '"'
            current.append(char)
        elif char == "(":
            depth = 1
            current.append(" ")
        elif char == '"':
            quoted = True
            current.append(char)
        elif char == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(char)
    statements.append("".join(current))
    return statements


def _verdicts(value: str) -> tuple[str, dict[str, set[str]]]:
    """(authserv-id, {method: every result given for it}) of one header."""
    statements = _statements(value)
    server = (statements[0].split() or [""])[0].lower()
    results: dict[str, set[str]] = {}
    for statement in statements[1:]:
        if match := RESULT.match(statement):
            results.setdefault(match.group(1).lower(), set()).add(match.group(2).lower())
    return server, results


def authentication_failure(headers: list[str], *, authserv_id: str = "") -> str:
    """'' when nothing says the From address was forged; otherwise what failed ("dmarc=fail").

    `headers` are the message's Authentication-Results values, top first. DMARC decides when
    it was evaluated (any failing evaluation holds: this check can only hold mail for review,
    so it errs that way); without it, SPF failing with no passing DKIM signature does. A DKIM
    failure alone is no verdict: mailing lists and forwarders break signatures every day.
    """
    wanted = authserv_id.strip().lower()
    chosen = [v for v in (_verdicts(h) for h in headers) if not wanted or v[0] == wanted]
    if not wanted:
        chosen = chosen[:1]
    for _server, results in chosen:
        dmarc = results.get("dmarc", set())
        if "fail" in dmarc:
            return "dmarc=fail"
        if "pass" in dmarc:
            continue
        spf = results.get("spf", set())
        if spf & SPF_FAILED and "pass" not in spf and "pass" not in results.get("dkim", set()):
            return "spf=fail"
    return ""
