import time

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from roadie.core import clock
from roadie.tickets.sla import SWEEP_BATCH, sla_sweep

# A tick keeps taking batches while they come back full, but leaves room for the next tick.
SWEEP_BUDGET_SECONDS = 45


@db_periodic_task(crontab(minute="*"))
def sweep_sla() -> None:
    started = time.monotonic()
    while sla_sweep(now=clock.now()) == SWEEP_BATCH:
        if time.monotonic() - started > SWEEP_BUDGET_SECONDS:
            break
