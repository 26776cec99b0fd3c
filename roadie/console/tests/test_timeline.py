from django.utils import timezone, translation

from roadie.accounts.models import User
from roadie.console.tickets.timeline import event_sentence
from roadie.tickets.models import TicketEvent


def sentence(kind: str, actor: User | None = None, **data: object) -> str:
    with translation.override("en"):
        return event_sentence(TicketEvent(kind=kind, actor=actor, data=data), {"li@v.cn": "Li"})


def test_events_read_as_sentences_with_labels_and_names():
    wang = User(email="wang@v.cn", name="Wang")
    assert (
        sentence("status_changed", wang, old="new", new="waiting")
        == "Wang changed the status from New to Waiting on customer."
    )
    assert sentence("assigned", wang, old=None, new="li@v.cn") == "Wang assigned the ticket to Li."
    assert (
        sentence("assigned", wang, old="li@v.cn", new="x@v.cn")
        == "Wang reassigned the ticket from Li to x@v.cn."
    )
    assert sentence("assigned", wang, old="li@v.cn", new=None) == (
        "Wang unassigned the ticket from Li."
    )
    assert sentence("watcher_added", wang, user="wang@v.cn") == "Wang started watching the ticket."
    assert sentence("tags_changed", wang, old=["a"], new=[]) == "Wang removed all tags."


def test_sla_events_and_unknown_kinds_read_sensibly():
    with timezone.override("Asia/Shanghai"):
        warning = sentence("sla_warning", clock="response", at="2026-03-02T01:00:00+00:00")
    assert warning == "The response target is close: due at 2026-03-02 09:00."
    assert sentence("escalated", reason="resolution_breach") == (
        "Escalated: the resolution target was missed."
    )
    assert sentence("status_changed", old="gone", new="open").endswith("from gone to Open.")
    assert sentence("something_new").startswith("Roadie: ")
