"""Periodic follow-up of advisories: re-check installed versions, remind, escalate."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from roadie.core import clock
from roadie.releases.services import advisory_notices_recheck, advisory_notices_remind


@db_periodic_task(crontab(minute="*/10"))
def recheck_advisory_notices() -> None:
    # Versions can change outside Roadie's releases services (PATCH /deployments, the agent).
    advisory_notices_recheck(now=clock.now())


@db_periodic_task(crontab(minute="5"))
def remind_advisory_notices() -> None:
    advisory_notices_remind(now=clock.now())
