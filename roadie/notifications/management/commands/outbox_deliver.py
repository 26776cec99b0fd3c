"""`roadie manage outbox_deliver [--loop] [--until-empty]`: deliver due outbox messages.

Without the huey worker this is a delivery worker of its own: run several for more throughput;
leases keep them from sending the same message at once.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from roadie.notifications.delivery import outbox_deliver_due
from roadie.notifications.models import OutboxMessage


class Command(BaseCommand):
    help = "Deliver due outbox messages once, or in a loop."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep delivering until stopped")
        parser.add_argument(
            "--until-empty",
            action="store_true",
            help="loop until no message is pending any more, then exit",
        )
        parser.add_argument(
            "--idle", type=float, default=1.0, help="seconds to wait when nothing is due"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        loop = options["loop"] or options["until_empty"]
        total = 0
        while True:
            sent = outbox_deliver_due(limit=1000)
            total += sent
            if not loop:
                break
            if (
                options["until_empty"]
                and not OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists()
            ):
                break
            if sent == 0:
                time.sleep(options["idle"])
        self.stdout.write(f"{total} message(s) sent")
