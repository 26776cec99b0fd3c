"""`roadie-agent`: run the agent (default), or check the configuration and send one batch.

roadie-agent --config /etc/roadie-agent.ini          run until stopped (systemd)
roadie-agent --config … --once                      collect, send, report, exit
roadie-agent --config … --print                     print what would be sent, send nothing
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading

from roadie_agent import __version__
from roadie_agent.agent import Agent
from roadie_agent.buffer import Spool
from roadie_agent.collector import Collector
from roadie_agent.config import DEFAULT_PATH, ConfigError, load
from roadie_agent.sender import Sender


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="roadie-agent", description="Report health to Roadie.")
    parser.add_argument("--config", default=DEFAULT_PATH, help=f"INI file (default {DEFAULT_PATH})")
    parser.add_argument("--once", action="store_true", help="collect and send once, then exit")
    parser.add_argument("--print", action="store_true", help="print one batch; send nothing")
    parser.add_argument("--verbose", "-v", action="store_true")
    parser.add_argument("--version", action="version", version=f"roadie-agent {__version__}")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s roadie-agent %(levelname)s %(message)s",
    )
    try:
        config = load(args.config)
    except ConfigError as error:
        print(f"roadie-agent: {error}", file=sys.stderr)
        return 2
    collector = Collector(config)
    if args.print:
        body = {"samples": collector.collect(), "version": collector.version()}
        print(json.dumps(body, indent=2, ensure_ascii=False))
        return 0
    try:
        spool = Spool(config.buffer_dir, max_age_seconds=config.max_buffer_days * 86400)
    except OSError as error:
        print(f"roadie-agent: buffer_dir {config.buffer_dir}: {error}", file=sys.stderr)
        return 2
    sender = Sender(endpoint=config.endpoint, token=config.token, timeout=config.timeout)
    agent = Agent(collector=collector, spool=spool, sender=sender)
    if args.once:
        result = agent.tick()
        print(f"sent {result.sent}, dropped {result.dropped}, kept {result.pending}")
        if result.error:
            print(f"roadie-agent: {result.error}", file=sys.stderr)
            return 1
        return 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    agent.run(interval=config.interval, stop=stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
