"""Factories for on-call tests: plain functions over the real services."""

import itertools
from datetime import date, time

from roadie.accounts.models import Role, User
from roadie.core.tests.factories import make_user
from roadie.oncall import services
from roadie.oncall.models import EscalationPolicy, Rotation, Schedule

_seq = itertools.count(1)


def make_engineer(name: str = "") -> User:
    n = next(_seq)
    return make_user(Role.ENGINEER, email=f"{name or 'eng'}{n}@vendor.example")


def make_schedule(name: str = "", time_zone: str = "Asia/Shanghai") -> Schedule:
    return services.schedule_create(name=name or f"Schedule {next(_seq)}", time_zone=time_zone)


def make_rotation(
    schedule: Schedule,
    members: list[User],
    *,
    kind: str = "weekly",
    handoff: time = time(9),
    start: date = date(2026, 1, 5),
    layer: int = 1,
    interval: int = 1,
) -> Rotation:
    return services.rotation_create(
        schedule=schedule,
        name=f"Rotation {next(_seq)}",
        kind=kind,
        handoff_time=handoff,
        start_date=start,
        members=members,
        layer=layer,
        interval=interval,
    )


def make_policy(*steps: services.StepInput, **fields: object) -> EscalationPolicy:
    return services.policy_create(
        name=str(fields.pop("name", f"Policy {next(_seq)}")),
        steps=list(steps),
        **fields,  # type: ignore[arg-type]
    )
