"""What the team page reads: always the viewer's own organization."""

from django.db.models import QuerySet

from roadie.accounts.models import Invitation, User
from roadie.core import clock


def team_members(*, viewer: User) -> QuerySet[User]:
    return User.objects.filter(organization_id=viewer.organization_id).order_by("name", "email")


def invitations_pending(*, viewer: User) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(
            organization_id=viewer.organization_id,
            accepted_at__isnull=True,
            expires_at__gt=clock.now(),
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )
