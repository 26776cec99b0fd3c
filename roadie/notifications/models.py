from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from roadie.core.models import TimeStampedModel
from roadie.customers.models import Organization


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu/Lark bot")
    SLACK = "slack", _("Slack incoming webhook")


# Messages a minute each platform accepts from one robot; 0 = no limit of ours.
DEFAULT_RATE_LIMITS: dict[str, int] = {
    ChannelKind.EMAIL: 0,
    ChannelKind.WEBHOOK: 0,
    ChannelKind.WECOM: 20,
    ChannelKind.DINGTALK: 20,
    ChannelKind.FEISHU: 100,
    ChannelKind.SLACK: 60,
}

# Kinds that post into a group chat (a robot), where @-mentions make sense.
GROUP_KINDS = frozenset({ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU})


class Channel(TimeStampedModel):
    """Where messages go: an e-mail address, a webhook, or a chat robot.

    Owned by an organization (its group robots), by one user (personal), or by neither: the
    vendor team's own channels.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=200)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_channels",
        verbose_name=_("organization"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_channels",
        verbose_name=_("user"),
    )
    url = models.CharField(
        _("URL or address"),
        max_length=1000,
        help_text=_("The robot's webhook URL, or the e-mail address for an e-mail channel."),
    )
    # Stored in clear: signing needs the secret itself (see docs/notifications.md).
    secret = models.CharField(_("signing secret"), max_length=500, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("messages per minute"),
        default=0,
        help_text=_("0 means no limit. Messages beyond the limit are combined into a digest."),
    )
    language = models.CharField(_("language"), max_length=16, default="zh-hans")
    timeout_seconds = models.PositiveIntegerField(_("timeout (seconds)"), default=10)
    # The sliding window of recent sends (ISO timestamps), for the rate limit.
    recent_sends = models.JSONField(default=list, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["organization__name", "name", "pk"]
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organization__isnull=True) | models.Q(user__isnull=True),
                name="channel_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    @property
    def is_vendor(self) -> bool:
        return self.organization_id is None and self.user_id is None

    @property
    def is_group(self) -> bool:
        return self.kind in GROUP_KINDS


class NotificationPreference(models.Model):
    """Which events reach a user (or an organization's robots) on which channels, and when.

    `routes` maps an event name (or "*" for every other event) to the targets: "email" or a
    channel id as a string. An empty list mutes the event.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_preference",
    )
    organization = models.OneToOneField(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_preference",
    )
    routes = models.JSONField(_("routes"), default=dict, blank=True)
    quiet_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    mobile = models.CharField(
        _("mobile number"),
        max_length=32,
        blank=True,
        help_text=_("Used to @-mention you in WeCom and DingTalk groups."),
    )
    im_user_ids = models.JSONField(
        _("chat user ids"),
        default=dict,
        blank=True,
        help_text=_('Your user id per platform for @-mentions, e.g. {"feishu": "ou_…"}.'),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, organization__isnull=True)
                    | models.Q(user__isnull=True, organization__isnull=False)
                ),
                name="preference_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"preferences of {self.user or self.organization}"


class OutboxMessage(models.Model):
    """A message to deliver, written in the transaction that caused it; workers deliver it."""

    Kind = ChannelKind

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        COALESCED = "coalesced", _("Sent in a digest")
        DEAD = "dead", _("Dead letter")

    kind = models.CharField(
        _("kind"), max_length=16, choices=ChannelKind.choices, default=ChannelKind.EMAIL
    )
    channel = models.ForeignKey(
        Channel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("channel"),
    )
    recipient = models.CharField(_("recipient"), max_length=320)
    subject = models.CharField(_("subject"), max_length=400)
    body = models.TextField(_("body"))
    headers = models.JSONField(default=dict, blank=True)
    # event, urgent, links, language, mentions: what the channel's template renders.
    payload = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    # Deferred once by the channel's rate limit: waits to go out in a digest.
    rate_limited = models.BooleanField(default=False)
    digest = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="digest_members",
        help_text=_("The message whose digest carried this one."),
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["channel", "status"], name="outbox_channel_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}: {self.subject}"
