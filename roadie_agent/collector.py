"""What the agent measures each minute, under the metric names Roadie knows:
heartbeat, cpu_percent, memory_used_bytes, memory_total_bytes, process_rss_bytes{process},
disk_used_percent{mount}, load1, live_streams, backup_age_seconds; with a health URL also
heartbeat{probe="http"} (1 healthy, 0 failing)."""

from __future__ import annotations

import glob
import logging
import os
import shlex
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from typing import Any

import psutil

from roadie_agent.config import Config

log = logging.getLogger("roadie_agent")

Sample = dict[str, Any]


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat(timespec="seconds")  # noqa: UP017


def sample(name: str, value: float, ts: float, **labels: str) -> Sample:
    item: Sample = {"name": name, "value": float(value), "ts": iso(ts)}
    if labels:
        item["labels"] = labels
    return item


def _matches(info: dict[str, Any], name: str) -> bool:
    if info.get("name") == name:
        return True
    cmdline = info.get("cmdline") or []
    return bool(cmdline) and os.path.basename(cmdline[0]) == name


class Collector:
    def __init__(self, config: Config) -> None:
        self.config = config
        psutil.cpu_percent(interval=None)  # the first reading only starts the measurement

    def collect(self, now: float | None = None) -> list[Sample]:
        ts = now if now is not None else time.time()
        samples = [sample("heartbeat", 1, ts)]
        for step in (
            self._cpu,
            self._memory,
            self._processes,
            self._disks,
            self._load,
            self._health,
            self._live_streams,
            self._backup,
        ):
            try:
                samples.extend(step(ts))
            except Exception as error:  # one failing probe must not silence the others
                log.warning("%s failed: %s", step.__name__.strip("_"), error)
        return samples

    def _cpu(self, ts: float) -> list[Sample]:
        return [sample("cpu_percent", psutil.cpu_percent(interval=None), ts)]

    def _memory(self, ts: float) -> list[Sample]:
        memory = psutil.virtual_memory()
        # "Used" as the kernel sees pressure: what is not available (caches are available).
        return [
            sample("memory_used_bytes", memory.total - memory.available, ts),
            sample("memory_total_bytes", memory.total, ts),
        ]

    def _processes(self, ts: float) -> list[Sample]:
        if not self.config.processes:
            return []
        totals = dict.fromkeys(self.config.processes, 0)
        found: set[str] = set()
        for process in psutil.process_iter(["name", "cmdline", "memory_info"]):
            info = process.info
            memory = info.get("memory_info")
            if memory is None:
                continue
            for name in self.config.processes:
                if _matches(info, name):
                    totals[name] += memory.rss
                    found.add(name)
        return [sample("process_rss_bytes", totals[n], ts, process=n) for n in sorted(found)]

    def _disks(self, ts: float) -> list[Sample]:
        return [
            sample("disk_used_percent", psutil.disk_usage(mount).percent, ts, mount=mount)
            for mount in self.config.mounts
        ]

    def _load(self, ts: float) -> list[Sample]:
        return [sample("load1", psutil.getloadavg()[0], ts)]

    def _health(self, ts: float) -> list[Sample]:
        if not self.config.health_url:
            return []
        healthy = 0
        try:
            request = urllib.request.Request(self.config.health_url, method="GET")  # noqa: S310
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                healthy = 1 if 200 <= response.status < 400 else 0
        except (urllib.error.URLError, OSError, TimeoutError):
            healthy = 0
        return [sample("heartbeat", healthy, ts, probe="http")]

    def _live_streams(self, ts: float) -> list[Sample]:
        if not self.config.live_streams_command:
            return []
        result = subprocess.run(  # noqa: S603 - the administrator's own command
            shlex.split(self.config.live_streams_command),
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return [sample("live_streams", float(result.stdout.split()[0]), ts)]

    def _backup(self, ts: float) -> list[Sample]:
        if not self.config.backup_glob:
            return []
        times = [os.path.getmtime(p) for p in glob.glob(self.config.backup_glob)]
        if not times:
            log.warning("no backup matches %s", self.config.backup_glob)
            return []
        return [sample("backup_age_seconds", max(ts - max(times), 0.0), ts)]

    def version(self) -> str:
        if self.config.version:
            return self.config.version
        try:
            if self.config.version_file:
                with open(self.config.version_file, encoding="utf-8") as handle:
                    return handle.read().strip()
            if self.config.version_command:
                result = subprocess.run(  # noqa: S603
                    shlex.split(self.config.version_command),
                    capture_output=True,
                    text=True,
                    timeout=10,
                    check=True,
                )
                return result.stdout.strip()
        except (OSError, subprocess.SubprocessError) as error:
            log.warning("version: %s", error)
        return ""
