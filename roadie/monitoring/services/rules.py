"""Rule settings: a product's defaults and a deployment's overrides of the code's defaults."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.accounts.permissions import Action, can
from roadie.customers.models import Deployment, Product
from roadie.monitoring.errors import InvalidRuleSetting, NotAllowed
from roadie.monitoring.models import RuleSetting
from roadie.monitoring.rules import DEFAULTS, PARAM_LIMITS, SEVERITIES


def may_tune_rules(*, user: User) -> bool:
    return can(user, Action.WORK_TICKETS)


def clean_params(rule: str, params: dict[str, Any]) -> dict[str, Any]:
    """Check parameters against the rule's limits; unknown names are refused."""
    if rule not in DEFAULTS:
        raise InvalidRuleSetting(_("Unknown rule %(rule)r.") % {"rule": rule}, field="rule")
    limits = PARAM_LIMITS[rule]
    clean: dict[str, Any] = {}
    for name, value in (params or {}).items():
        if name == "severity":
            if value not in SEVERITIES:
                raise InvalidRuleSetting(
                    _("Severity is one of: %(choices)s.") % {"choices": ", ".join(SEVERITIES)},
                    field="params.severity",
                )
            clean[name] = value
            continue
        if name not in limits:
            raise InvalidRuleSetting(
                _("%(rule)s has no parameter %(name)r.") % {"rule": rule, "name": name},
                field=f"params.{name}",
            )
        kind, low, high = limits[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidRuleSetting(_("Give a number."), field=f"params.{name}")
        if not low <= value <= high:
            raise InvalidRuleSetting(
                _("Between %(low)s and %(high)s.") % {"low": low, "high": high},
                field=f"params.{name}",
            )
        clean[name] = kind(value)
    merged = {**DEFAULTS[rule], **clean}
    if "critical_hours" in merged and merged["critical_hours"] > merged["warning_hours"]:
        raise InvalidRuleSetting(
            _("The critical projection must be shorter than the warning one."),
            field="params.critical_hours",
        )
    return clean


@transaction.atomic
def rule_setting_set(
    *,
    rule: str,
    by: User,
    enabled: bool = True,
    params: dict[str, Any] | None = None,
    product: Product | None = None,
    deployment: Deployment | None = None,
) -> RuleSetting:
    """Set a product's default (product=…) or a deployment's override (deployment=…)."""
    if not may_tune_rules(user=by):
        raise NotAllowed(_("Only support staff can change monitoring rules."))
    if (product is None) == (deployment is None):
        raise InvalidRuleSetting(_("Name a product or a deployment."), field="scope")
    clean = clean_params(rule, params or {})
    setting, _created = RuleSetting.objects.update_or_create(
        product=product,
        deployment=deployment,
        rule=rule,
        defaults={"enabled": enabled, "params": clean, "updated_by": by},
    )
    return setting


@transaction.atomic
def rule_setting_clear(
    *, rule: str, by: User, product: Product | None = None, deployment: Deployment | None = None
) -> int:
    if not may_tune_rules(user=by):
        raise NotAllowed(_("Only support staff can change monitoring rules."))
    deleted, _rows = RuleSetting.objects.filter(
        product=product, deployment=deployment, rule=rule
    ).delete()
    return deleted
