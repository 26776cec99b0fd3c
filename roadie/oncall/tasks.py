from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from roadie.core import clock
from roadie.notifications.tasks import URGENT_PRIORITY
from roadie.oncall.escalation import page_advance, pages_advance_due
from roadie.oncall.notices import shift_notices_send


@db_task(retries=0, priority=URGENT_PRIORITY)
def advance_page(page_id: int) -> None:
    # The sweep retries whatever this misses: the page stays due until a step runs.
    page_advance(page_id=page_id)


@db_periodic_task(crontab(minute="*"))
def sweep_pages() -> None:
    pages_advance_due(now=clock.now())


@db_periodic_task(crontab(minute="*"))
def send_shift_notices() -> None:
    shift_notices_send(now=clock.now())
