"""What every releases service shares: the staff check and the append-only event."""

from datetime import datetime

from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.customers.models import Organization
from roadie.releases.access import may_manage_releases
from roadie.releases.errors import NotAllowed
from roadie.releases.models import Advisory, Event, Release


def require_release_manager(user: User) -> None:
    if not may_manage_releases(user):
        raise NotAllowed(_("Only engineers, managers and administrators can do this."))


def event(
    event_kind: str,
    /,
    *,
    at: datetime,
    actor: User | None = None,
    release: Release | None = None,
    advisory: Advisory | None = None,
    organization: Organization | None = None,
    organization_id: int | None = None,
    **data: object,
) -> Event:
    return Event.objects.create(
        kind=event_kind,
        at=at,
        actor=actor if actor is not None and actor.is_authenticated else None,
        release=release,
        advisory=advisory,
        organization_id=organization.pk if organization is not None else organization_id,
        data=data,
    )
