"""The loop: collect, spool, send the spool oldest first; stop at the first failure and try
again next tick, so the order is kept and nothing is lost while Roadie is out of reach."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from roadie_agent import __version__
from roadie_agent.buffer import Spool
from roadie_agent.sender import Outcome

log = logging.getLogger("roadie_agent")


class Collects(Protocol):
    def collect(self, now: float | None = None) -> list[dict[str, Any]]: ...

    def version(self) -> str: ...


class Sends(Protocol):
    def send(self, body: dict[str, Any], *, key: str) -> Outcome: ...


@dataclass
class FlushResult:
    sent: int = 0
    dropped: int = 0
    pending: int = 0
    error: str = ""


class Agent:
    def __init__(
        self,
        *,
        collector: Collects,
        spool: Spool,
        sender: Sends,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.collector = collector
        self.spool = spool
        self.sender = sender
        self.clock = clock
        self.name = f"roadie-agent/{__version__} {socket.gethostname()}"[:100]

    def record(self) -> None:
        """Collect once and put the batch in the spool."""
        now = self.clock()
        body: dict[str, Any] = {"samples": self.collector.collect(now), "agent": self.name}
        version = self.collector.version()
        if version:
            body["version"] = version
        self.spool.put(body, now=now)

    def flush(self) -> FlushResult:
        """Send the spool oldest first until it is empty or something fails."""
        result = FlushResult()
        self.spool.prune(now=self.clock())
        items = self.spool.pending()
        for index, item in enumerate(items):
            outcome = self.sender.send(item.body, key=item.key)
            if outcome.sent:
                self.spool.remove(item)
                result.sent += 1
                continue
            if outcome.drop:
                log.error(
                    "Roadie refused batch %d for good (%s): %s",
                    item.seq,
                    outcome.status,
                    outcome.message,
                )
                self.spool.remove(item)
                result.dropped += 1
                continue
            result.error = f"{outcome.status or 'network'}: {outcome.message}"
            result.pending = len(items) - index
            log.warning("cannot send (%s); %d batches kept", result.error, result.pending)
            break
        return result

    def tick(self) -> FlushResult:
        self.record()
        return self.flush()

    def run(self, *, interval: float, stop: threading.Event) -> None:
        """Tick every `interval` seconds (aligned to the interval) until `stop` is set."""
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # keep running whatever one tick hit
                log.exception("tick failed")
            now = self.clock()
            stop.wait(interval - (now % interval))
