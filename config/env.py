"""The one place that reads os.environ. Everything configurable is listed here."""

import os
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Env:
    data_dir: Path
    database_url: str
    redis_url: str
    secret_key: str
    debug: bool
    email_url: str
    imap_url: str
    time_zone: str
    allowed_hosts: list[str]
    base_url: str
    https: bool
    testing: bool
    mail_domain: str
    mail_authserv_id: str
    webhook_allowed_networks: list[str]
    reopen_window_days: int
    max_upload_bytes: int
    outbox_sweep_seconds: int


def read_env() -> Env:
    data_dir = Path(os.environ.get("ROADIE_DATA_DIR", BASE_DIR / "var")).resolve()
    base_url = os.environ.get("ROADIE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return Env(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL", f"sqlite:///{data_dir / 'roadie.sqlite3'}"),
        redis_url=os.environ.get("REDIS_URL", ""),
        secret_key=os.environ.get("SECRET_KEY", ""),
        debug=_flag("ROADIE_DEBUG"),
        email_url=os.environ.get("EMAIL_URL", "console://"),
        imap_url=os.environ.get("ROADIE_IMAP_URL", ""),
        time_zone=os.environ.get("ROADIE_TIME_ZONE", "Asia/Shanghai"),
        allowed_hosts=[
            h.strip()
            for h in os.environ.get("ROADIE_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
            if h.strip()
        ],
        base_url=base_url,
        https=_flag("ROADIE_HTTPS"),
        testing=_flag("ROADIE_TESTING"),
        mail_domain=os.environ.get("ROADIE_MAIL_DOMAIN", "roadie.localhost"),
        mail_authserv_id=os.environ.get("ROADIE_MAIL_AUTHSERV_ID", ""),
        webhook_allowed_networks=[
            n.strip()
            for n in os.environ.get("ROADIE_WEBHOOK_ALLOWED_NETWORKS", "").split(",")
            if n.strip()
        ],
        reopen_window_days=int(os.environ.get("ROADIE_REOPEN_WINDOW_DAYS", "14")),
        max_upload_bytes=int(os.environ.get("ROADIE_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
        outbox_sweep_seconds=max(1, int(os.environ.get("ROADIE_OUTBOX_SWEEP_SECONDS", "60"))),
    )
