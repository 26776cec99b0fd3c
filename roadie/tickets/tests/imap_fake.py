"""A small IMAP4rev1 server on 127.0.0.1 for tests: just what imaplib and mail_poll use.

Commands: CAPABILITY, LOGIN, SELECT, [UID] SEARCH (ALL | UNSEEN), [UID] FETCH (BODY.PEEK[] |
BODY[] | RFC822 | FLAGS), [UID] STORE (+|-)FLAGS[.SILENT], NOOP, CLOSE, LOGOUT.
"""

import re
import socketserver
import threading
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import quote


@dataclass
class FakeMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)

    @property
    def seen(self) -> bool:
        return "\\Seen" in self.flags


class Mailbox:
    """The one mailbox the server serves; thread-safe, inspectable from the test."""

    def __init__(self, *, user: str = "roadie", password: str = "s3cret pw", name: str = "INBOX"):
        self.user = user
        self.password = password
        self.name = name
        self.messages: list[FakeMessage] = []
        self.commands: list[str] = []
        self.lock = threading.Lock()
        self._next_uid = 101  # UIDs differ from sequence numbers, as on real servers

    def add(self, raw: bytes, *, seen: bool = False) -> FakeMessage:
        with self.lock:
            message = FakeMessage(uid=self._next_uid, raw=raw, flags={"\\Seen"} if seen else set())
            self._next_uid += 1
            self.messages.append(message)
            return message


TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\((?:[^()]|\([^()]*\))*\))|(\S+)')


def _tokens(line: bytes) -> list[str]:
    out = []
    for quoted, group, atom in TOKEN.findall(line):
        if quoted:
            out.append(re.sub(rb"\\(.)", rb"\1", quoted).decode())
        else:
            out.append((group or atom).decode())
    return out


def _parse_set(spec: str, highest: int) -> set[int]:
    numbers: set[int] = set()
    for piece in spec.split(","):
        if ":" in piece:
            low, high = (highest if p == "*" else int(p) for p in piece.split(":"))
            numbers.update(range(min(low, high), max(low, high) + 1))
        else:
            numbers.add(highest if piece == "*" else int(piece))
    return numbers


class _Handler(socketserver.StreamRequestHandler):
    server: "_Server"

    def send(self, line: str | bytes) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        mailbox = self.server.mailbox
        self.authenticated = False
        self.selected = False
        self.send("* OK fake IMAP4rev1 server ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            parts = _tokens(line.rstrip(b"\r\n"))
            if len(parts) < 2:
                self.send("* BAD no command")
                continue
            tag, command, args = parts[0], parts[1].upper(), parts[2:]
            with mailbox.lock:
                mailbox.commands.append(" ".join([command, *args]))
            if command == "LOGOUT":
                self.send("* BYE logging out")
                self.send(f"{tag} OK LOGOUT completed")
                return
            with mailbox.lock:
                self.dispatch(tag, command, args)

    def dispatch(self, tag: str, command: str, args: list[str]) -> None:
        mailbox = self.server.mailbox
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1")
            self.send(f"{tag} OK CAPABILITY completed")
        elif command == "NOOP":
            self.send(f"{tag} OK NOOP completed")
        elif command == "LOGIN":
            if args[:2] == [mailbox.user, mailbox.password]:
                self.authenticated = True
                self.send(f"{tag} OK LOGIN completed")
            else:
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
        elif not self.authenticated:
            self.send(f"{tag} BAD log in first")
        elif command == "SELECT":
            if not args or args[0].upper() != mailbox.name.upper():
                self.send(f"{tag} NO [NONEXISTENT] no such mailbox")
                return
            self.selected = True
            self.send("* FLAGS (\\Seen)")
            self.send(f"* {len(mailbox.messages)} EXISTS")
            self.send("* 0 RECENT")
            self.send("* OK [UIDVALIDITY 1] UIDs valid")
            self.send(f"{tag} OK [READ-WRITE] SELECT completed")
        elif command == "CLOSE":
            self.selected = False
            self.send(f"{tag} OK CLOSE completed")
        elif not self.selected:
            self.send(f"{tag} BAD select a mailbox first")
        elif command == "UID" and args:
            self.selected_command(tag, args[0].upper(), args[1:], by_uid=True)
        else:
            self.selected_command(tag, command, args, by_uid=False)

    def selected_command(self, tag: str, command: str, args: list[str], *, by_uid: bool) -> None:
        messages = self.server.mailbox.messages
        name = f"UID {command}" if by_uid else command
        if command == "SEARCH":
            criteria = " ".join(args).upper()
            if criteria not in {"ALL", "UNSEEN"}:
                self.send(f"{tag} BAD unsupported search {criteria}")
                return
            hits = [
                str(m.uid if by_uid else seq)
                for seq, m in enumerate(messages, 1)
                if criteria == "ALL" or not m.seen
            ]
            self.send(" ".join(["* SEARCH", *hits]))
            self.send(f"{tag} OK {name} completed")
            return
        if command not in {"FETCH", "STORE"} or not args:
            self.send(f"{tag} BAD unknown command {name}")
            return
        highest = max((m.uid for m in messages), default=0) if by_uid else len(messages)
        wanted = _parse_set(args[0], highest)
        for seq, message in enumerate(messages, 1):
            if (message.uid if by_uid else seq) not in wanted:
                continue
            if command == "FETCH":
                self.fetch(seq, message, " ".join(args[1:]).strip("()").upper(), by_uid)
            else:
                self.store(seq, message, args[1:], by_uid)
        self.send(f"{tag} OK {name} completed")

    def fetch(self, seq: int, message: FakeMessage, items: str, by_uid: bool) -> None:
        uid = f"UID {message.uid} " if by_uid else ""
        prefix = f"* {seq} FETCH ({uid}"
        if items == "FLAGS":
            self.send(f"{prefix}FLAGS ({' '.join(sorted(message.flags))}))")
            return
        label = {"BODY.PEEK[]": "BODY[]", "BODY[]": "BODY[]", "RFC822": "RFC822"}.get(items)
        if label is None:
            self.send(f"* BAD unsupported fetch {items}")
            return
        if items != "BODY.PEEK[]":
            message.flags.add("\\Seen")  # RFC 3501: fetching the body sets \Seen
        self.wfile.write(f"{prefix}{label} {{{len(message.raw)}}}\r\n".encode())
        self.wfile.write(message.raw)
        self.send(")")

    def store(self, seq: int, message: FakeMessage, args: list[str], by_uid: bool) -> None:
        mode = args[0].upper() if args else ""
        flags = set(" ".join(args[1:]).strip("()").split())
        if mode.startswith("+FLAGS"):
            message.flags |= flags
        elif mode.startswith("-FLAGS"):
            message.flags -= flags
        elif mode.startswith("FLAGS"):
            message.flags = flags
        if not mode.endswith(".SILENT"):
            uid = f"UID {message.uid} " if by_uid else ""
            self.send(f"* {seq} FETCH ({uid}FLAGS ({' '.join(sorted(message.flags))}))")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    mailbox: Mailbox


class FakeImapServer:
    """`with FakeImapServer(mailbox) as server:` serves `mailbox` at server.url()."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.mailbox = mailbox
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, *, password: str | None = None) -> str:
        secret = quote(self.mailbox.password if password is None else password, safe="")
        return f"imap://{self.mailbox.user}:{secret}@127.0.0.1:{self.port}/{self.mailbox.name}"

    def __enter__(self) -> "FakeImapServer":
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
