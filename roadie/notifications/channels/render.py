"""Render a message in a platform's own format from templates/notifications/<kind>/."""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import translation

from roadie.notifications.channels.base import Item, Outgoing
from roadie.notifications.events import event_label, link_label


@dataclass(frozen=True)
class RenderedItem:
    subject: str
    body: str
    urgent: bool
    event: str
    event_label: str
    links: list[tuple[str, str]]


def _item(item: Item, body_limit: int | None) -> RenderedItem:
    body = item.body.strip()
    if body_limit is not None and len(body) > body_limit:
        body = body[: body_limit - 1].rstrip() + "…"
    return RenderedItem(
        subject=item.subject,
        body=body,
        urgent=item.urgent,
        event=item.event,
        event_label=str(event_label(item.event)) if item.event else "",
        links=[(str(link_label(name)), url) for name, url in item.links.items()],
    )


def render(kind: str, outgoing: Outgoing, *, extension: str = "md", name: str = "") -> str:
    """`notifications/<kind>/message.<ext>` for one item, `digest.<ext>` for several."""
    template = name or ("digest" if outgoing.is_digest else "message")
    body_limit = 300 if outgoing.is_digest else None
    with translation.override(outgoing.language or "zh-hans"):
        items = [_item(item, body_limit) for item in outgoing.items]
        text = render_to_string(
            f"notifications/{kind}/{template}.{extension}",
            {
                "item": items[0],
                "items": items,
                "count": len(items),
                "urgent": outgoing.urgent,
                "mentions": outgoing.mentions,
            },
        )
    return text.strip() + "\n" if extension == "txt" else text.strip()


def title(outgoing: Outgoing) -> str:
    """A one-line title: the subject, or "N updates" for a digest."""
    with translation.override(outgoing.language or "zh-hans"):
        if outgoing.is_digest:
            return render_to_string(
                "notifications/digest_title.txt", {"count": len(outgoing.items)}
            ).strip()
        return outgoing.items[0].subject
