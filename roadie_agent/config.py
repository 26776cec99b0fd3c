"""The agent's configuration file (INI), documented in docs/monitoring.md."""

from __future__ import annotations

import configparser
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PATH = "/etc/roadie-agent.ini"
INGEST_PATH = "/api/v1/ingest/metrics"


class ConfigError(Exception):
    pass


@dataclass
class Config:
    url: str
    token: str
    interval: float = 60.0
    timeout: float = 10.0
    buffer_dir: Path = Path("/var/lib/roadie-agent")
    max_buffer_days: float = 7.0
    processes: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=lambda: ["/"])
    health_url: str = ""
    live_streams_command: str = ""
    backup_glob: str = ""
    version: str = ""
    version_file: str = ""
    version_command: str = ""

    @property
    def endpoint(self) -> str:
        return self.url.rstrip("/") + INGEST_PATH


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


def _number(section: configparser.SectionProxy, key: str, default: float, low: float) -> float:
    try:
        value = section.getfloat(key, fallback=default)
    except ValueError as error:
        raise ConfigError(f"[{section.name}] {key}: not a number") from error
    if value < low:
        raise ConfigError(f"[{section.name}] {key}: at least {low:g}")
    return value


def parse(text: str) -> Config:
    parser = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as error:
        raise ConfigError(f"not an INI file: {error}") from error
    if not parser.has_section("roadie"):
        raise ConfigError("the [roadie] section is missing")
    roadie = parser["roadie"]
    url = roadie.get("url", "").strip()
    token = roadie.get("token", "").strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigError("[roadie] url: give Roadie's address, e.g. https://roadie.example.com")
    if not token:
        raise ConfigError("[roadie] token: the deployment's ingest token (rdi_…) is missing")
    collect = parser["collect"] if parser.has_section("collect") else parser["DEFAULT"]
    return Config(
        url=url,
        token=token,
        interval=_number(roadie, "interval", 60.0, 1.0),
        timeout=_number(roadie, "timeout", 10.0, 1.0),
        buffer_dir=Path(roadie.get("buffer_dir", "/var/lib/roadie-agent").strip()),
        max_buffer_days=_number(roadie, "max_buffer_days", 7.0, 0.01),
        processes=_list(collect.get("processes", "")),
        mounts=_list(collect.get("mounts", "/")) or ["/"],
        health_url=collect.get("health_url", "").strip(),
        live_streams_command=collect.get("live_streams_command", "").strip(),
        backup_glob=collect.get("backup_glob", "").strip(),
        version=collect.get("version", "").strip(),
        version_file=collect.get("version_file", "").strip(),
        version_command=collect.get("version_command", "").strip(),
    )


def load(path: str | Path) -> Config:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from error
    return parse(text)
