"""Incoming e-mail: thread replies onto tickets, open tickets, hold the rest for review."""

import base64
import binascii
import hashlib
import html
import imaplib
import logging
import mimetypes
import quopri
import re
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from typing import cast
from urllib.parse import unquote, urlsplit

import nh3
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import Role, User
from roadie.accounts.permissions import Action, can
from roadie.accounts.services import user_create
from roadie.core.errors import DomainError
from roadie.customers.models import Organization
from roadie.tickets import services
from roadie.tickets.attachments import CheckedUpload, check_upload
from roadie.tickets.errors import (
    AttachmentRejected,
    InvalidMail,
    InvalidTicket,
    InvalidTransition,
    NotAllowed,
)
from roadie.tickets.mail_auth import authentication_failure
from roadie.tickets.models import Comment, InboundMail, Kind, Severity, Status, Ticket

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 50 * 1024 * 1024
NO_SUBJECT = "(no subject)"

# Why a message was held; stored on InboundMail.reason for the reviewers.
REASON_UNKNOWN_SENDER = "unknown sender"
REASON_NOT_VISIBLE = "sender may not see this ticket"
REASON_CLOSED = "ticket closed"
REASON_NO_TICKET = "staff mail without a ticket number"
REASON_UNKNOWN_TICKET = "unknown ticket number"
REASON_AUTOMATIC = "automatic reply"
REASON_EMPTY = "empty message"
REASON_FORGED = "sender authentication failed"

SUBJECT_TOKEN = re.compile(r"\[RD-(\d{1,18})\]", re.IGNORECASE)
HEADER_TOKEN = re.compile(r"<rd-(\d{1,18})(?:-[0-9a-z]+)?@([^>\s]+)>", re.IGNORECASE)
REPLY_PREFIX = re.compile(r"^\s*(re|fw|fwd|aw|回复|答复|转发)\s*[:：]\s*", re.IGNORECASE)
ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
# Labels that mail clients put on text that is really GBK or GB18030.
CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}


@dataclass
class IngestResult:
    status: str
    ticket: Ticket | None
    inbound: InboundMail
    summary: str
    duplicate: bool = False


@dataclass
class ParsedMail:
    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    ticket_pks: list[int]
    automatic: bool
    forged: str = ""  # what the receiving server found failed, e.g. "dmarc=fail"
    uploads: list[CheckedUpload] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def body(self, *, trim: bool) -> str:
        """The text (quote-trimmed for replies) with a line for each refused attachment."""
        text = trim_quoted(self.text) if trim else self.text.strip()
        lines = [
            _("Attachment %(name)s was refused: %(reason)s") % {"name": name, "reason": reason}
            for name, reason in self.refused
        ]
        return "\n\n".join(part for part in [text, "\n".join(lines)] if part)[: services.MAX_BODY]

    @property
    def title(self) -> str:
        """The subject without reply prefixes and ticket tokens, for a new ticket."""
        title = " ".join(SUBJECT_TOKEN.sub(" ", self.subject).split())
        while (shorter := REPLY_PREFIX.sub("", title, count=1)) != title:
            title = shorter
        return title[: services.MAX_TITLE] or NO_SUBJECT


# Quote trimming ----------------------------------------------------------------------------------

ATTRIBUTION = re.compile(
    r"^\s*(On\s.*\swrote:|在.*写道[:：]|.*\S\s*写道[:：])\s*$", re.IGNORECASE | re.DOTALL
)
SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(Original Message|原始邮件|Replied Message|回复的原邮件)\s*-{2,}\s*$",
    re.IGNORECASE,
)
OUTLOOK_FROM = re.compile(r"^\s*\**\s*(From|发件人)\s*\**\s*[:：]", re.IGNORECASE)
OUTLOOK_SENT = re.compile(r"^\s*\**\s*(Sent|Date|发送时间|日期)\s*\**\s*[:：]", re.IGNORECASE)
RULE = re.compile(r"^\s*[-_=]{3,}\s*$")


def _quote_starts(lines: list[str], index: int) -> bool:
    line = lines[index]
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if ATTRIBUTION.match(line) or SEPARATOR.match(line):
        return True
    # Gmail and QQ Mail wrap a long attribution line in two.
    if re.match(r"^\s*(On|在)\s", line) and following and ATTRIBUTION.match(f"{line} {following}"):
        return True
    if OUTLOOK_FROM.match(line):
        return any(OUTLOOK_SENT.match(later) for later in lines[index + 1 : index + 4])
    return line in {"-- ", "--"}


def trim_quoted(text: str) -> str:
    """The new part of a reply: cut at the quoted message or the signature, never to nothing."""
    original = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    lines = original.split("\n")
    cut = next((i for i in range(len(lines)) if _quote_starts(lines, i)), len(lines))
    kept = lines[:cut]
    while kept and (
        not kept[-1].strip() or kept[-1].lstrip().startswith(">") or RULE.match(kept[-1])
    ):
        kept.pop()
    trimmed = "\n".join(kept).strip()
    return trimmed or original


# Parsing -----------------------------------------------------------------------------------------


def _decode_bytes(data: bytes, charset: str | None) -> str:
    name = (charset or "utf-8").strip().strip('"').lower()
    name = CHARSET_ALIASES.get(name, name)
    for candidate in (name, "utf-8", "gb18030"):
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _clean(text: str) -> str:
    # Lone surrogates and NUL bytes cannot be stored in PostgreSQL text.
    return text.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "")


def _decode_header(value: str) -> str:
    """RFC 2047 words and raw 8-bit bytes, with GB2312-labelled GBK read as GB18030."""
    value = re.sub(r"\r?\n(?=[ \t])", "", value)
    try:
        value = _decode_bytes(value.encode("ascii", errors="surrogateescape"), "utf-8")
    except UnicodeEncodeError:
        pass  # already text
    value = re.sub(r"(\?=)\s+(?==\?)", r"\1", value)

    def word(match: re.Match[str]) -> str:
        charset, encoding, encoded = match.groups()
        try:
            if encoding in "bB":
                data = base64.b64decode(encoded + "=" * (-len(encoded) % 4))
            else:
                data = quopri.decodestring(encoded.encode("ascii", errors="replace"), header=True)
        except (binascii.Error, ValueError):
            return match.group(0)
        return _decode_bytes(data, charset.split("*")[0])

    return _clean(" ".join(ENCODED_WORD.sub(word, value).split()))


def _raw_header(message: EmailMessage, name: str) -> str:
    values = [v for k, v in message.raw_items() if k.lower() == name.lower()]
    return str(values[0]) if values else ""


def _sender(message: EmailMessage) -> tuple[str, str]:
    if not _raw_header(message, "From").strip():
        raise InvalidMail(_("The message has no From address."))
    try:
        addresses = message["From"].addresses
    except Exception:  # noqa: BLE001 — the stdlib header parser has raised on hostile input
        addresses = ()
    for address in addresses:
        email = (address.addr_spec or "").strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            continue
        return email, _clean(address.display_name or "")[:200]
    raise InvalidMail(
        _("The From address %(value)r is not a valid e-mail address.")
        % {"value": _raw_header(message, "From").strip()[:200]}
    )


def _message_id(message: EmailMessage, raw: bytes) -> str:
    value = "".join(_raw_header(message, "Message-ID").split())
    if not value:
        return f"<sha256-{hashlib.sha256(raw).hexdigest()}@roadie.invalid>"
    if len(value) > 500:
        return f"<sha256-{hashlib.sha256(value.encode()).hexdigest()}@roadie.invalid>"
    return value


def _ticket_pks(message: EmailMessage, subject: str) -> list[int]:
    """Ticket numbers this message refers to, most specific first."""
    domain = settings.ROADIE_MAIL_DOMAIN.lower()
    references = _raw_header(message, "References").split()
    headers = [_raw_header(message, "In-Reply-To"), *reversed(references)]
    pks = [
        int(match.group(1))
        for header in headers
        for match in HEADER_TOKEN.finditer(header)
        if match.group(2).lower() == domain
    ]
    pks += [int(match.group(1)) for match in SUBJECT_TOKEN.finditer(subject)]
    return list(dict.fromkeys(pks))


def _is_automatic(message: EmailMessage) -> bool:
    # Out-of-office replies and bounces would otherwise bounce between mail systems forever.
    auto = _raw_header(message, "Auto-Submitted").strip().lower()
    precedence = _raw_header(message, "Precedence").strip().lower()
    return (auto not in {"", "no"}) or precedence in {"bulk", "junk", "auto_reply"}


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body: tags dropped, entities decoded, blank runs collapsed."""
    markup = re.sub(r"<head\b.*?</head\s*>", "", markup, flags=re.IGNORECASE | re.DOTALL)
    markup = re.sub(
        r"<\s*(br|hr|/p|/div|/li|/tr|/h[1-6]|/blockquote|/pre|/table)\b[^>]*>",
        lambda match: match.group(0) + "\n",
        markup,
        flags=re.IGNORECASE,
    )
    text = html.unescape(nh3.clean(markup, tags=set())).replace("\xa0", " ")
    lines: list[str] = []
    for line in (line.strip() for line in text.splitlines()):
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip()


def _part_text(part: EmailMessage) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    text = _decode_bytes(data, part.get_content_charset())
    return _clean(text.replace("\r\n", "\n").replace("\r", "\n"))


def _body(message: EmailMessage) -> tuple[str, list[EmailMessage]]:
    """The message's text (plain preferred, else HTML as text) and the parts it came from."""
    plain = cast(EmailMessage | None, message.get_body(preferencelist=("plain",)))
    if plain is not None and _part_text(plain).strip():
        return _part_text(plain).strip(), [plain]
    rich = cast(EmailMessage | None, message.get_body(preferencelist=("html",)))
    if rich is not None:
        return html_to_text(_part_text(rich)), [rich]
    return "", [p for p in (plain,) if p is not None]


def mail_body_text(raw: bytes) -> str:
    """The readable text of a stored message (plain preferred, HTML as text), untrimmed."""
    message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
    return _body(message)[0]


def _attachment_parts(part: EmailMessage, body: list[EmailMessage]) -> Iterator[EmailMessage]:
    """Every part that is not the body, inline screenshots included; forwards stay whole."""
    maintype = part.get_content_maintype()
    if maintype == "multipart":
        for child in part.iter_parts():
            yield from _attachment_parts(cast(EmailMessage, child), body)
        return
    if any(part is chosen for chosen in body):
        return
    is_alternative_text = (
        maintype == "text"
        and part.get_content_disposition() != "attachment"
        and not part.get_filename()
    )
    if not is_alternative_text:
        yield part


def _attachment(part: EmailMessage) -> tuple[str, str, bytes]:
    content_type = part.get_content_type()
    name = " ".join(_clean(part.get_filename() or "").split())
    if part.get_content_maintype() == "message":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        data = inner.as_bytes() if isinstance(inner, Message) else b""
        return name or "forwarded.eml", content_type, data
    payload = part.get_payload(decode=True)
    extension = mimetypes.guess_extension(content_type) or ""
    data = payload if isinstance(payload, bytes) else b""
    return name or f"attachment{extension}", content_type, data


def _parse(raw: bytes) -> ParsedMail:
    if not raw or not raw.strip():
        raise InvalidMail(_("The message is empty."))
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InvalidMail(_("The message is larger than 50 MB."))
    message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
    if not list(message.keys()):
        raise InvalidMail(_("This is not an e-mail message: it has no headers."))
    sender, sender_name = _sender(message)
    subject = _decode_header(_raw_header(message, "Subject"))
    text, body_parts = _body(message)
    parsed = ParsedMail(
        message_id=_message_id(message, raw),
        sender=sender,
        sender_name=sender_name,
        subject=subject,
        text=text,
        ticket_pks=_ticket_pks(message, subject),
        automatic=_is_automatic(message),
        forged=authentication_failure(
            [str(v) for v in message.get_all("Authentication-Results") or []],
            authserv_id=settings.ROADIE_MAIL_AUTHSERV_ID,
        ),
    )
    for part in _attachment_parts(message, body_parts):
        name, content_type, data = _attachment(part)
        try:
            parsed.uploads.append(check_upload(name=name, declared_type=content_type, data=data))
        except AttachmentRejected as error:
            parsed.refused.append((name, error.message))
    return parsed


# Ingesting ---------------------------------------------------------------------------------------


def _store(
    parsed: ParsedMail, raw: bytes, status: str, reason: str, ticket: Ticket | None
) -> InboundMail:
    return InboundMail.objects.create(
        message_id=parsed.message_id,
        sender=parsed.sender[:320],
        subject=parsed.subject[:500],
        raw=raw,
        status=status,
        reason=reason[:200],
        ticket=ticket,
    )


def _refusals(parsed: ParsedMail) -> str:
    if not parsed.refused:
        return ""
    names = ", ".join(name for name, _reason in parsed.refused)
    return f"attachment refused: {names}"


def _hold(parsed: ParsedMail, raw: bytes, reason: str, ticket: Ticket | None) -> IngestResult:
    inbound = _store(parsed, raw, InboundMail.Status.HELD, reason, ticket)
    log.info("held e-mail %s from %s: %s", parsed.message_id, parsed.sender, reason)
    return IngestResult(
        status=inbound.status, ticket=None, inbound=inbound, summary=f"held for review: {reason}"
    )


def _open_ticket(parsed: ParsedMail, requester: User, organization: Organization | None) -> Ticket:
    return services.ticket_create(
        by=requester,
        organization=organization,
        title=parsed.title,
        description=parsed.body(trim=False),
        severity=Severity.GENERAL,
        kind=Kind.QUESTION,
        attachments=parsed.uploads,
        source=Comment.Source.EMAIL,
    )


def _route(parsed: ParsedMail, raw: bytes) -> IngestResult:
    sender = User.objects.filter(email__iexact=parsed.sender, is_active=True).first()
    ticket = next(
        (t for pk in parsed.ticket_pks if (t := Ticket.objects.filter(pk=pk).first())), None
    )
    if parsed.automatic:
        return _hold(parsed, raw, REASON_AUTOMATIC, ticket)
    if parsed.forged:
        return _hold(parsed, raw, f"{REASON_FORGED} ({parsed.forged})", ticket)
    if sender is None:
        return _hold(parsed, raw, REASON_UNKNOWN_SENDER, ticket)
    if ticket is None and parsed.ticket_pks:
        return _hold(parsed, raw, REASON_UNKNOWN_TICKET, None)
    if ticket is None and not sender.is_customer:
        return _hold(parsed, raw, REASON_NO_TICKET, None)
    if ticket is not None and sender.is_customer:
        if ticket.organization_id != sender.organization_id:
            return _hold(parsed, raw, REASON_NOT_VISIBLE, ticket)
        if ticket.status == Status.CLOSED:
            return _hold(parsed, raw, REASON_CLOSED, ticket)
    body = parsed.body(trim=ticket is not None)
    if not body and not parsed.uploads:
        return _hold(parsed, raw, REASON_EMPTY, ticket)
    try:
        with transaction.atomic():
            if ticket is None:
                ticket = _open_ticket(parsed, sender, None)
                status, summary = InboundMail.Status.CREATED, f"{ticket.number}: ticket opened"
            else:
                services.ticket_comment(
                    ticket=ticket,
                    by=sender,
                    body=body,
                    public=True,
                    attachments=parsed.uploads,
                    source=Comment.Source.EMAIL,
                )
                status, summary = InboundMail.Status.THREADED, f"{ticket.number}: reply added"
    except DomainError as error:
        return _hold(parsed, raw, str(error.message), ticket)
    inbound = _store(parsed, raw, status, _refusals(parsed), ticket)
    return IngestResult(status=status, ticket=ticket, inbound=inbound, summary=summary)


def _already(inbound: InboundMail) -> IngestResult:
    return IngestResult(
        status=inbound.status,
        ticket=inbound.ticket,
        inbound=inbound,
        summary="already processed",
        duplicate=True,
    )


def mail_ingest(*, raw: bytes) -> IngestResult:
    """Store one e-mail and add it to a ticket, open a ticket, or hold it; once per Message-ID."""
    parsed = _parse(raw)
    earlier = InboundMail.objects.select_related("ticket").filter(message_id=parsed.message_id)
    if earlier.exists():
        return _already(earlier.get())
    try:
        with transaction.atomic():
            return _route(parsed, raw)
    except IntegrityError:
        # Another worker stored the same message between our check and our insert.
        if not earlier.exists():
            raise
        return _already(earlier.get())


# Review ------------------------------------------------------------------------------------------


def _held_for_review(mail: InboundMail, by: User) -> InboundMail:
    if not can(by, Action.REVIEW_MAIL):
        raise NotAllowed(_("Only support staff can review held e-mail."))
    mail = InboundMail.objects.select_for_update().get(pk=mail.pk)
    if mail.status != InboundMail.Status.HELD:
        raise InvalidTransition(_("This e-mail is not held for review."), field="status")
    return mail


def _requester(mail: InboundMail, name: str, organization: Organization) -> User:
    user = User.objects.filter(email__iexact=mail.sender).first()
    if user is None:
        return user_create(
            email=mail.sender,
            password=None,
            role=Role.CUSTOMER_MEMBER,
            name=name,
            organization=organization,
        )
    if not user.is_active:
        raise InvalidTicket(
            _("%(email)s is a deactivated user.") % {"email": user.email}, field="organization"
        )
    if user.is_customer and user.organization_id != organization.pk:
        raise InvalidTicket(
            _("%(email)s belongs to another organization.") % {"email": user.email},
            field="organization",
        )
    return user


@transaction.atomic
def inbound_mail_accept(*, mail: InboundMail, by: User, organization: Organization) -> Ticket:
    """Open a ticket for `organization` from a held e-mail; an unknown sender becomes a member."""
    mail = _held_for_review(mail, by)
    parsed = _parse(bytes(mail.raw))
    requester = _requester(mail, parsed.sender_name, organization)
    ticket = _open_ticket(parsed, requester, None if requester.is_customer else organization)
    mail.status = InboundMail.Status.CREATED
    mail.ticket = ticket
    mail.reviewed_by = by
    mail.save(update_fields=["status", "ticket", "reviewed_by"])
    return ticket


@transaction.atomic
def inbound_mail_attach(*, mail: InboundMail, by: User) -> Ticket:
    """Add a held reply to the ticket it names, as a public reply by its sender.

    For a reply held because its sender was unknown, or because the receiving server could not
    authenticate it, after a person checked it. An unknown sender becomes a member of the
    ticket's organization; a customer of another organization is refused.
    """
    mail = _held_for_review(mail, by)
    ticket = mail.ticket
    if ticket is None:
        raise InvalidTransition(
            _("This e-mail names no ticket; open a new ticket from it instead."), field="ticket"
        )
    parsed = _parse(bytes(mail.raw))
    author = _requester(mail, parsed.sender_name, ticket.organization)
    services.ticket_comment(
        ticket=ticket,
        by=author,
        body=parsed.body(trim=True),
        public=True,
        attachments=parsed.uploads,
        source=Comment.Source.EMAIL,
    )
    mail.status = InboundMail.Status.THREADED
    mail.reviewed_by = by
    mail.save(update_fields=["status", "reviewed_by"])
    return ticket


@transaction.atomic
def inbound_mail_discard(*, mail: InboundMail, by: User) -> InboundMail:
    """Discard a held e-mail; the row and its raw bytes stay for the record."""
    mail = _held_for_review(mail, by)
    mail.status = InboundMail.Status.DISCARDED
    mail.reviewed_by = by
    mail.save(update_fields=["status", "reviewed_by"])
    return mail


# IMAP polling ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImapAddress:
    secure: bool
    host: str
    port: int
    user: str
    password: str
    mailbox: str


def _imap_address(url: str) -> ImapAddress:
    if not url:
        raise InvalidMail(_("ROADIE_IMAP_URL is not set"))
    parts = urlsplit(url)
    if parts.scheme not in {"imap", "imaps"} or not parts.hostname:
        raise InvalidMail(_("ROADIE_IMAP_URL must look like imaps://user:password@host/INBOX"))
    try:
        port = parts.port
    except ValueError as error:
        raise InvalidMail(_("ROADIE_IMAP_URL: %(error)s") % {"error": error})
    secure = parts.scheme == "imaps"
    return ImapAddress(
        secure=secure,
        host=parts.hostname,
        port=port or (993 if secure else 143),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
    )


def _check(response: tuple[str, Sequence[object]], what: str) -> Sequence[object]:
    status, data = response
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise imaplib.IMAP4.error(f"{what} failed: {detail}")
    return data


def _fetched_bytes(data: Sequence[object]) -> bytes:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return b""


def _poll(connection: imaplib.IMAP4, address: ImapAddress) -> int:
    _check(connection.login(address.user, address.password), "LOGIN")
    _check(connection.select(f'"{address.mailbox}"'), f"SELECT {address.mailbox}")
    found = _check(connection.uid("SEARCH", "UNSEEN"), "SEARCH")
    uids = b" ".join(d for d in found if isinstance(d, bytes)).split()
    count = 0
    for uid in (u.decode() for u in uids):
        # BODY.PEEK leaves the message unseen until it is stored: a crash re-reads it.
        raw = _fetched_bytes(_check(connection.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH"))
        try:
            result = mail_ingest(raw=raw)
        except InvalidMail as error:
            log.warning("IMAP message %s is not a usable e-mail: %s", uid, error.message)
        except Exception:
            log.exception("IMAP message %s could not be stored; it stays unseen", uid)
            continue
        else:
            count += 0 if result.duplicate else 1
            log.info("IMAP message %s: %s", uid, result.summary)
        _check(connection.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "STORE")
    return count


def mail_poll(*, url: str) -> int:
    """Ingest the unseen messages of an IMAP mailbox, marking each seen once stored."""
    address = _imap_address(url)
    try:
        if address.secure:
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                address.host, address.port, ssl_context=ssl.create_default_context(), timeout=30
            )
        else:
            connection = imaplib.IMAP4(address.host, address.port, timeout=30)
    except (OSError, imaplib.IMAP4.error) as error:
        raise InvalidMail(
            _("Cannot reach the IMAP server %(host)s:%(port)s: %(error)s")
            % {"host": address.host, "port": address.port, "error": error}
        )
    try:
        return _poll(connection, address)
    except (OSError, imaplib.IMAP4.error) as error:
        raise InvalidMail(
            _("IMAP server %(host)s:%(port)s: %(error)s")
            % {"host": address.host, "port": address.port, "error": error}
        )
    finally:
        try:
            connection.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
