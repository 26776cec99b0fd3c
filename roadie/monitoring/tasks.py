"""Periodic work: the rule cycle every minute, roll-ups and pruning every five minutes."""

import time

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from roadie.core import clock
from roadie.monitoring.evaluate import evaluate_rules
from roadie.monitoring.models import CycleRun
from roadie.monitoring.services import monitoring_prune, samples_roll_up


@db_periodic_task(crontab(minute="*"))
@lock_task("monitoring-evaluate")
def evaluate() -> None:
    evaluate_rules(now=clock.now())


@db_periodic_task(crontab(minute="*/5"))
@lock_task("monitoring-maintain")
def maintain() -> None:
    started = time.perf_counter()
    now = clock.now()
    batches = samples_roll_up(now=now)
    monitoring_prune(now=now)
    CycleRun.objects.create(
        kind=CycleRun.Kind.MAINTAIN,
        started_at=now,
        duration_ms=(time.perf_counter() - started) * 1000,
        samples=batches,
    )
