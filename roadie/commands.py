"""What each `roadie` subcommand does, once Django is set up."""

import argparse
import getpass
import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command, execute_from_command_line

from roadie.accounts.models import Role, User
from roadie.accounts.services import api_token_create, user_create
from roadie.core.errors import DomainError
from roadie.demo import load_demo
from roadie.tickets import mail


def _fail(message: str, code: int = 2) -> int:
    print(f"roadie: {message}", file=sys.stderr)
    return code


def serve(host: str, port: int, workers: int = 2) -> int:
    call_command("collectstatic", interactive=False, verbosity=0)
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--timeout",
        "60",
    ]
    os.execv(sys.executable, argv)  # noqa: S606 — replaces this process with gunicorn
    return 0


def serve_with_worker(host: str, port: int) -> int:
    call_command("collectstatic", interactive=False, verbosity=0)
    worker = subprocess.Popen([sys.executable, "-m", "roadie.cli", "worker"])
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "60",
        ]
    )
    print(f"Roadie is running on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        return web.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (web, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)


def run(args: argparse.Namespace) -> int:  # noqa: C901, PLR0911 — a dispatch table
    command = args.command
    try:
        if command == "serve":
            return serve(args.host, args.port, args.workers)
        if command == "worker":
            call_command("run_huey")
            return 0
        if command == "migrate":
            call_command("migrate", interactive=False)
            return 0
        if command == "demo":
            call_command("migrate", interactive=False, verbosity=0)
            logins = load_demo()
            print(logins)
            if args.no_serve:
                return 0
            return serve_with_worker(args.host, args.port)
        if command == "createadmin":
            return _createadmin(args)
        if command == "token":
            return _token_create(args.user, args.name)
        if command == "mail":
            if args.mail_command == "ingest":
                raw = Path(args.file).read_bytes() if args.file else sys.stdin.buffer.read()
                result = mail.mail_ingest(raw=raw)
                print(result.summary)
                return 0
            count = mail.mail_poll(url=settings.ROADIE_IMAP_URL)
            print(f"{count} message(s) fetched")
            return 0
        if command == "check":
            call_command("check", deploy=args.deploy, fail_level="WARNING")
            return 0
        if command == "manage":
            execute_from_command_line(["roadie manage", *args.args])
            return 0
    except DomainError as error:
        return _fail(error.message)
    except FileNotFoundError as error:
        return _fail(str(error))
    except SystemExit as error:
        return int(error.code or 0) if isinstance(error.code, int) else _fail(str(error.code), 1)
    return _fail(f"unknown command {command}")


def _createadmin(args: argparse.Namespace) -> int:
    email = args.email or input("E-mail: ")
    password = args.password or getpass.getpass("Password: ")
    user = user_create(email=email, password=password, role=Role.ADMIN, name=args.name)
    print(f"Administrator {user.email} created.")
    return 0


def _token_create(email: str, name: str) -> int:
    user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
    if user is None:
        return _fail(f"no active user with e-mail {email}")
    _token, plain = api_token_create(user=user, name=name)
    print(plain)
    return 0
