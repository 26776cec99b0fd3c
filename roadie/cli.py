"""The `roadie` command: one entry point for running, operating and scripting Roadie."""

import argparse
import os
import sys
from collections.abc import Sequence

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # noqa: PLC0415  (Django must be configured before its modules load)

    django.setup()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="roadie", description="Roadie after-sales service desk")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web server (gunicorn, static files included)")
    serve.add_argument("--host", default=DEFAULT_HOST)
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--workers", type=int, default=2)

    sub.add_parser("worker", help="run the background job worker (huey)")
    sub.add_parser("migrate", help="create or upgrade the database")

    demo = sub.add_parser("demo", help="load demo data, then serve it with a worker")
    demo.add_argument("--no-serve", action="store_true", help="load the data and exit")
    demo.add_argument("--host", default=DEFAULT_HOST)
    demo.add_argument("--port", type=int, default=DEFAULT_PORT)

    admin = sub.add_parser("createadmin", help="create an administrator")
    admin.add_argument("--email")
    admin.add_argument("--password")
    admin.add_argument("--name", default="")

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    create = token_sub.add_parser("create", help="create a token; prints only the token")
    create.add_argument("--user", required=True, help="the user's e-mail")
    create.add_argument("--name", default="cli")

    mail = sub.add_parser("mail", help="incoming e-mail")
    mail_sub = mail.add_subparsers(dest="mail_command", required=True)
    ingest = mail_sub.add_parser("ingest", help="take one RFC 822 message from a file or stdin")
    ingest.add_argument("file", nargs="?", help="the message file (default: stdin)")
    mail_sub.add_parser(
        "poll", help="fetch unread messages from the IMAP mailbox (ROADIE_IMAP_URL)"
    )

    check = sub.add_parser("check", help="Django's system checks")
    check.add_argument("--deploy", action="store_true")

    manage = sub.add_parser("manage", help="any Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _setup()
    from roadie.commands import run  # noqa: PLC0415  (needs Django set up)

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
