"""Notifications' writes: the outbox, notifying people, channels, preferences."""

from roadie.notifications.services.channels import (
    ChannelTestResult,
    channel_create,
    channel_set_enabled,
    channel_set_secret,
    channel_test,
    channel_update,
    channel_validate_address,
)
from roadie.notifications.services.notify import notify_organization, notify_user, notify_users
from roadie.notifications.services.outbox import (
    email_rows,
    insert_messages,
    outbox_enqueue,
    outbox_enqueue_emails,
    outbox_retry,
)
from roadie.notifications.services.preferences import (
    organization_preference_update,
    preference_update,
)

__all__ = [
    "ChannelTestResult",
    "channel_create",
    "channel_set_enabled",
    "channel_set_secret",
    "channel_test",
    "channel_update",
    "channel_validate_address",
    "email_rows",
    "insert_messages",
    "notify_organization",
    "notify_user",
    "notify_users",
    "organization_preference_update",
    "outbox_enqueue",
    "outbox_enqueue_emails",
    "outbox_retry",
    "preference_update",
]
