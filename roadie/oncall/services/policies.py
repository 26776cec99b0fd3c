"""Writes to escalation policies, and the frozen ladder a page keeps (Rule 7)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from roadie.accounts.models import User
from roadie.oncall.errors import EmptyLadder, InvalidPolicy, InvalidWait, NameTaken, PolicyLoop
from roadie.oncall.models import EscalationPolicy, EscalationStep, Schedule, Team
from roadie.oncall.services.common import check_name, check_staff

MAX_WAIT_MINUTES = 24 * 60
MAX_REPEAT = 9
MAX_STEPS = 20
MAX_ACK_TIMEOUT_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class StepInput:
    """One rung: notify the target, then wait. Exactly one target, matching `kind`."""

    kind: str
    wait_minutes: int = 5
    schedule: Schedule | None = None
    user: User | None = None
    team: Team | None = None
    policy: EscalationPolicy | None = None


def _check_steps(steps: Sequence[StepInput]) -> None:
    if not steps:
        raise EmptyLadder(_("A policy needs at least one step."), field="steps")
    if len(steps) > MAX_STEPS:
        raise InvalidPolicy(
            _("A policy may have at most %(max)s steps.") % {"max": MAX_STEPS}, field="steps"
        )
    for number, step in enumerate(steps, start=1):
        field = f"steps.{number - 1}"
        if step.kind not in EscalationStep.Kind.values:
            raise InvalidPolicy(
                _("Step %(n)s: unknown kind %(kind)r.") % {"n": number, "kind": step.kind},
                field=f"{field}.kind",
            )
        target = {
            EscalationStep.Kind.SCHEDULE: step.schedule,
            EscalationStep.Kind.USER: step.user,
            EscalationStep.Kind.TEAM: step.team,
            EscalationStep.Kind.POLICY: step.policy,
        }[EscalationStep.Kind(step.kind)]
        if target is None:
            raise InvalidPolicy(
                _("Step %(n)s: say which %(kind)s to notify.") % {"n": number, "kind": step.kind},
                field=f"{field}.{step.kind}",
            )
        if step.user is not None:
            check_staff(step.user, field=f"{field}.user")
        if (
            isinstance(step.wait_minutes, bool)
            or not isinstance(step.wait_minutes, int)
            or not 1 <= step.wait_minutes <= MAX_WAIT_MINUTES
        ):
            raise InvalidWait(
                _("Step %(n)s: the wait is a whole number of minutes from 1 to %(max)s.")
                % {"n": number, "max": MAX_WAIT_MINUTES},
                field=f"{field}.wait_minutes",
            )


def _check_numbers(*, repeat_times: int, ack_timeout_minutes: int) -> None:
    if isinstance(repeat_times, bool) or not 0 <= repeat_times <= MAX_REPEAT:
        raise InvalidPolicy(
            _("The ladder repeats 0 to %(max)s times.") % {"max": MAX_REPEAT},
            field="repeat_times",
        )
    if isinstance(ack_timeout_minutes, bool) or not (
        0 <= ack_timeout_minutes <= MAX_ACK_TIMEOUT_MINUTES
    ):
        raise InvalidPolicy(
            _("The re-page timeout is 0 (never) to %(max)s minutes.")
            % {"max": MAX_ACK_TIMEOUT_MINUTES},
            field="ack_timeout_minutes",
        )


def _nested_ids(policy_id: int, edges: dict[int, set[int]]) -> list[int] | None:
    """A path policy_id → … → policy_id through `edges`, or None when there is no loop."""
    stack: list[tuple[int, list[int]]] = [(policy_id, [policy_id])]
    seen: set[int] = set()
    while stack:
        current, path = stack.pop()
        for nxt in edges.get(current, set()):
            if nxt == policy_id:
                return [*path, nxt]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def _check_no_loop(policy: EscalationPolicy | None, steps: Sequence[StepInput]) -> None:
    """A policy must not run itself, directly or through the policies its steps run."""
    nested = [s.policy for s in steps if s.kind == EscalationStep.Kind.POLICY and s.policy]
    if not nested:
        return
    if policy is None or policy.pk is None:
        return  # a new policy: nothing can run it yet
    edges: dict[int, set[int]] = {}
    for source, target in EscalationStep.objects.filter(
        kind=EscalationStep.Kind.POLICY
    ).values_list("policy_id", "target_policy_id"):
        edges.setdefault(source, set()).add(target)
    edges[policy.pk] = {p.pk for p in nested}
    path = _nested_ids(policy.pk, edges)
    if path is not None:
        names = dict(EscalationPolicy.objects.filter(pk__in=path).values_list("pk", "name"))
        raise PolicyLoop(
            _("This policy would run itself: %(path)s.")
            % {"path": " → ".join(names.get(pk, str(pk)) for pk in path)},
            field="steps",
        )


def _write_steps(policy: EscalationPolicy, steps: Sequence[StepInput]) -> None:
    policy.steps.all().delete()
    EscalationStep.objects.bulk_create(
        EscalationStep(
            policy=policy,
            position=index,
            kind=step.kind,
            schedule=step.schedule if step.kind == EscalationStep.Kind.SCHEDULE else None,
            user=step.user if step.kind == EscalationStep.Kind.USER else None,
            team=step.team if step.kind == EscalationStep.Kind.TEAM else None,
            target_policy=step.policy if step.kind == EscalationStep.Kind.POLICY else None,
            wait_minutes=step.wait_minutes,
        )
        for index, step in enumerate(steps)
    )


def _clear_default(keep: EscalationPolicy) -> None:
    EscalationPolicy.objects.filter(is_default=True).exclude(pk=keep.pk).update(is_default=False)


@transaction.atomic
def policy_create(
    *,
    name: str,
    steps: Sequence[StepInput],
    repeat_times: int = 0,
    ack_timeout_minutes: int = 0,
    is_default: bool = False,
) -> EscalationPolicy:
    """A new ladder; `is_default` takes the default mark from whichever policy had it."""
    name = check_name(name)
    _check_steps(steps)
    _check_numbers(repeat_times=repeat_times, ack_timeout_minutes=ack_timeout_minutes)
    if EscalationPolicy.objects.filter(name=name).exists():
        raise NameTaken(_("A policy named %(name)r exists.") % {"name": name}, field="name")
    policy = EscalationPolicy(
        name=name, repeat_times=repeat_times, ack_timeout_minutes=ack_timeout_minutes
    )
    policy.save()
    if is_default:
        _clear_default(policy)
        policy.is_default = True
        policy.save(update_fields=["is_default"])
    _write_steps(policy, steps)
    return policy


@transaction.atomic
def policy_update(
    *,
    policy: EscalationPolicy,
    name: str | None = None,
    steps: Sequence[StepInput] | None = None,
    repeat_times: int | None = None,
    ack_timeout_minutes: int | None = None,
) -> EscalationPolicy:
    """Change what is given (`steps` replaces the ladder). Pages in flight keep their ladder."""
    if steps is not None:
        _check_steps(steps)
        _check_no_loop(policy, steps)
    _check_numbers(
        repeat_times=policy.repeat_times if repeat_times is None else repeat_times,
        ack_timeout_minutes=(
            policy.ack_timeout_minutes if ack_timeout_minutes is None else ack_timeout_minutes
        ),
    )
    if name is not None:
        name = check_name(name)
        if EscalationPolicy.objects.filter(name=name).exclude(pk=policy.pk).exists():
            raise NameTaken(_("A policy named %(name)r exists.") % {"name": name}, field="name")
        policy.name = name
    if repeat_times is not None:
        policy.repeat_times = repeat_times
    if ack_timeout_minutes is not None:
        policy.ack_timeout_minutes = ack_timeout_minutes
    policy.save()
    if steps is not None:
        _write_steps(policy, steps)
    return policy


@transaction.atomic
def policy_set_default(*, policy: EscalationPolicy) -> EscalationPolicy:
    """Mark the policy used for urgent tickets (one at a time)."""
    _clear_default(policy)
    policy.is_default = True
    policy.save(update_fields=["is_default", "updated_at"])
    return policy


def _flatten(
    policy: EscalationPolicy, trail: tuple[int, ...], memo: dict[int, list[EscalationStep]]
) -> list[dict[str, Any]]:
    if policy.pk in trail:
        raise PolicyLoop(_("Policy %(name)r runs itself.") % {"name": policy.name}, field="steps")
    if policy.pk not in memo:
        memo[policy.pk] = list(
            policy.steps.select_related("schedule", "user", "team", "target_policy").order_by(
                "position"
            )
        )
    flat: list[dict[str, Any]] = []
    for step in memo[policy.pk]:
        if step.kind == EscalationStep.Kind.POLICY and step.target_policy is not None:
            inner = _flatten(step.target_policy, (*trail, policy.pk), memo)
            # The nested ladder runs in place; this step's wait follows its last rung.
            if inner:
                inner[-1] = {**inner[-1], "wait_minutes": step.wait_minutes}
                for rung in inner:
                    rung.setdefault("via", step.target_policy.name)
            flat.extend(inner)
        elif step.kind == EscalationStep.Kind.SCHEDULE and step.schedule is not None:
            flat.append(
                {
                    "kind": "schedule",
                    "schedule_id": step.schedule_id,
                    "name": step.schedule.name,
                    "wait_minutes": step.wait_minutes,
                }
            )
        elif step.kind == EscalationStep.Kind.USER and step.user is not None:
            flat.append(
                {
                    "kind": "user",
                    "user_id": step.user_id,
                    "name": step.user.email,
                    "wait_minutes": step.wait_minutes,
                }
            )
        elif step.kind == EscalationStep.Kind.TEAM and step.team is not None:
            flat.append(
                {
                    "kind": "team",
                    "team_id": step.team_id,
                    "name": step.team.name,
                    "wait_minutes": step.wait_minutes,
                }
            )
    return flat


def policy_snapshot(*, policy: EscalationPolicy) -> dict[str, Any]:
    """The ladder as it is now, nested policies expanded in place: what a page keeps."""
    steps = _flatten(policy, (), {})
    if not steps:
        raise EmptyLadder(
            _("Policy %(name)r has no steps to run.") % {"name": policy.name}, field="policy"
        )
    return {
        "policy_id": policy.pk,
        "policy": policy.name,
        "repeat_times": policy.repeat_times,
        "ack_timeout_minutes": policy.ack_timeout_minutes,
        "steps": steps,
    }
