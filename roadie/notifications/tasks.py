from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from roadie.notifications.delivery import outbox_deliver, outbox_deliver_many, outbox_sweep

# Jobs that wake someone (page starts, escalation steps, urgent messages) run before routine
# ones: a fan-out of thousands of e-mails must not hold a page back. SqliteHuey and
# PriorityRedisHuey take the highest priority first.
URGENT_PRIORITY = 100

# A sweep tick repeats every ROADIE_OUTBOX_SWEEP_SECONDS within its minute, leaving room for
# the next tick.
SWEEP_BUDGET_SECONDS = 55


@db_task(retries=0)
def deliver_outbox_message(message_id: int) -> None:
    outbox_deliver(message_id=message_id)


@db_task(retries=0)
def deliver_outbox_messages(message_ids: list[int]) -> None:
    outbox_deliver_many(message_ids=message_ids)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    # Catches what a crashed worker, a failed attempt, quiet hours or a rate limit left pending.
    outbox_sweep(
        budget_seconds=SWEEP_BUDGET_SECONDS,
        interval_seconds=float(settings.ENV.outbox_sweep_seconds),
    )
