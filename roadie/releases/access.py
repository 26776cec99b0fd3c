"""Who may do what with releases and advisories."""

from roadie.accounts.models import Role, User

# Staff who publish releases and advisories and decide update requests; agents only read.
RELEASE_MANAGERS = frozenset({Role.ENGINEER, Role.MANAGER, Role.ADMIN})


def may_manage_releases(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in RELEASE_MANAGERS)


def may_act_for_organization(user: User) -> bool:
    """Acknowledging advisories and requesting updates: the customer's admins."""
    return bool(user.is_authenticated and user.is_active and user.role == Role.CUSTOMER_ADMIN)
