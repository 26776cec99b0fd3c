from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from roadie.core import clock
from roadie.tickets.satisfaction import SEND_BATCH, surveys_send_due


# The satisfaction figures of the reports and the scorecard come from these surveys; the
# schedule lives here until the tickets app's own tasks module takes it over.
@db_periodic_task(crontab(minute="*/5"))
def send_satisfaction_surveys() -> None:
    while surveys_send_due(now=clock.now()) == SEND_BATCH:
        pass
