"""What each role may do. One table, read by every interface."""

from enum import StrEnum

from roadie.accounts.models import Role, User


class Action(StrEnum):
    WORK_TICKETS = "work_tickets"  # reply, note, assign, change status and severity
    MANAGE_CUSTOMERS = "manage_customers"  # organizations, contracts, deployments, products
    MANAGE_USERS = "manage_users"
    REVIEW_MAIL = "review_mail"
    INVITE_COLLEAGUES = "invite_colleagues"


_GRANTS: dict[Action, frozenset[str]] = {
    Action.WORK_TICKETS: frozenset({Role.AGENT, Role.ENGINEER, Role.MANAGER, Role.ADMIN}),
    Action.MANAGE_CUSTOMERS: frozenset({Role.MANAGER, Role.ADMIN}),
    Action.MANAGE_USERS: frozenset({Role.MANAGER, Role.ADMIN}),
    Action.REVIEW_MAIL: frozenset({Role.AGENT, Role.MANAGER, Role.ADMIN}),
    Action.INVITE_COLLEAGUES: frozenset({Role.CUSTOMER_ADMIN}),
}


def can(user: User, action: Action) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role in _GRANTS[action])
