from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from roadie.notifications.delivery import outbox_deliver, outbox_deliver_due


@db_task(retries=0)
def deliver_outbox_message(message_id: int) -> None:
    outbox_deliver(message_id=message_id)


@db_periodic_task(crontab(minute="*"))
def sweep_outbox() -> None:
    # Catches everything a crashed worker or a failed attempt left pending.
    outbox_deliver_due()
