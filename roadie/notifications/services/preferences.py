"""Who hears about which events on which channels, and when not."""

from datetime import time

from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.customers.models import Organization
from roadie.notifications.errors import InvalidPreference
from roadie.notifications.models import (
    Channel,
    NotificationPreference,
)
from roadie.notifications.quiet import is_valid_zone
from roadie.notifications.selectors import channels_routable
from roadie.notifications.services.notify import EMAIL_TARGET


def _clean_routes(routes: dict[str, list[str]], allowed: set[str]) -> dict[str, list[str]]:
    cleaned: dict[str, list[str]] = {}
    for event, targets in routes.items():
        event = str(event).strip()
        if not event or len(event) > 64:
            raise InvalidPreference(_("Event names are 1 to 64 characters."), field="routes")
        if not isinstance(targets, list | tuple):
            raise InvalidPreference(_("Each event needs a list of channels."), field="routes")
        seen: list[str] = []
        for target in targets:
            target = str(target)
            if target not in allowed:
                raise InvalidPreference(
                    _("Unknown channel %(target)s for %(event)s.")
                    % {"target": target, "event": event},
                    field="routes",
                )
            if target not in seen:
                seen.append(target)
        cleaned[event] = seen
    return cleaned


def _clean_quiet(start: time | None, end: time | None, time_zone: str) -> None:
    if (start is None) != (end is None):
        raise InvalidPreference(_("Quiet hours need both a start and an end."), field="quiet_end")
    if not is_valid_zone(time_zone):
        raise InvalidPreference(_("Unknown time zone."), field="time_zone")


def preference_update(
    *,
    user: User,
    routes: dict[str, list[str]],
    quiet_start: time | None,
    quiet_end: time | None,
    time_zone: str,
    mobile: str = "",
    im_user_ids: dict[str, str] | None = None,
) -> NotificationPreference:
    """Set a user's own preferences: routes name "email" or channels the user may route to."""
    allowed = {EMAIL_TARGET} | {
        str(pk) for pk in channels_routable(user=user).values_list("pk", flat=True)
    }
    cleaned = _clean_routes(routes, allowed)
    _clean_quiet(quiet_start, quiet_end, time_zone)
    ids = {str(k): str(v).strip()[:100] for k, v in (im_user_ids or {}).items() if str(v).strip()}
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user,
        defaults={
            "routes": cleaned,
            "quiet_start": quiet_start,
            "quiet_end": quiet_end,
            "time_zone": time_zone,
            "mobile": mobile.strip()[:32],
            "im_user_ids": ids,
        },
    )
    return preference


def organization_preference_update(
    *,
    organization: Organization,
    by: User,
    routes: dict[str, list[str]],
    quiet_start: time | None,
    quiet_end: time | None,
    time_zone: str,
) -> NotificationPreference:
    """Which events go to which of an organization's channels, and its quiet hours."""
    allowed = {
        str(pk)
        for pk in Channel.objects.filter(organization=organization, user__isnull=True).values_list(
            "pk", flat=True
        )
    }
    cleaned = _clean_routes(routes, allowed)
    _clean_quiet(quiet_start, quiet_end, time_zone)
    preference, _created = NotificationPreference.objects.update_or_create(
        organization=organization,
        defaults={
            "routes": cleaned,
            "quiet_start": quiet_start,
            "quiet_end": quiet_end,
            "time_zone": time_zone,
        },
    )
    return preference
