"""SemVer arithmetic: precedence, the kind of a new release, affected ranges. Pure functions.

Precedence is SemVer 2.0.0's (build metadata ignored): 2.0.0-rc.1 < 2.0.0, so a pre-release of
the fixed version is still affected. An affected range is `introduced <= v < fixed` (or
`<= last_affected`); introduced "0" means every earlier version, no fix means no upper bound.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import semver
from django.utils.translation import gettext as _

from roadie.releases.errors import InvalidRange, InvalidVersion

ZERO = "0"
PATCH, MINOR, MAJOR = "patch", "minor", "major"


@lru_cache(maxsize=65536)
def parse(version: str) -> semver.Version | None:
    """The parsed version, or None when the text is not SemVer."""
    try:
        return semver.Version.parse(version)
    except (ValueError, TypeError):
        return None


def check_version(version: str, *, field: str = "version") -> semver.Version:
    parsed = parse((version or "").strip())
    if parsed is None:
        raise InvalidVersion(
            _("%(version)r is not a SemVer version (e.g. 2.4.1 or 3.0.0-rc.1).")
            % {"version": version},
            field=field,
        )
    return parsed


def _core(version: semver.Version) -> tuple[int, int, int]:
    return (version.major, version.minor, version.patch)


def derive_kind(version: str, existing: Iterable[str]) -> str:
    """Patch, minor or major, from the previous release of the product.

    The previous release is the highest existing one of lower precedence whose major.minor.patch
    differs (so 2.0.0 after 2.0.0-rc.1 and 1.9.0 is still a major). A product's first release is a
    major one, unless it is a 0.x version (initial development), which counts as a minor one.
    """
    new = check_version(version)
    lower = [
        parsed
        for parsed in (parse(text) for text in existing)
        if parsed is not None and parsed < new and _core(parsed) != _core(new)
    ]
    if not lower:
        return MAJOR if new.major >= 1 else MINOR
    previous = max(lower)
    if previous.major != new.major:
        return MAJOR
    if previous.minor != new.minor:
        return MINOR
    return PATCH


@dataclass(frozen=True)
class Range:
    """An affected range of one product's versions."""

    introduced: str = ZERO
    fixed: str = ""
    last_affected: str = ""

    def contains(self, version: str) -> bool:
        parsed = parse(version)
        if parsed is None:
            return False
        if self.introduced != ZERO:
            low = parse(self.introduced)
            if low is None or parsed < low:
                return False
        if self.fixed:
            high = parse(self.fixed)
            return high is not None and parsed < high
        if self.last_affected:
            last = parse(self.last_affected)
            return last is not None and parsed <= last
        return True


def check_range(
    introduced: str, fixed: str = "", last_affected: str = "", *, prefix: str = ""
) -> Range:
    """A valid range, or InvalidRange/InvalidVersion naming the field (prefix + "fixed", ...)."""
    introduced = (introduced or "").strip() or ZERO
    fixed = (fixed or "").strip()
    last_affected = (last_affected or "").strip()
    low = None if introduced == ZERO else check_version(introduced, field=f"{prefix}introduced")
    if fixed and last_affected:
        raise InvalidRange(
            _("A range has either a fixed version or a last affected version, not both."),
            field=f"{prefix}last_affected",
        )
    if fixed:
        high = check_version(fixed, field=f"{prefix}fixed")
        if low is not None and high <= low:
            raise InvalidRange(
                _("The fixed version %(fixed)s must come after the introduced version %(intro)s.")
                % {"fixed": fixed, "intro": introduced},
                field=f"{prefix}fixed",
            )
    if last_affected:
        last = check_version(last_affected, field=f"{prefix}last_affected")
        if low is not None and last < low:
            raise InvalidRange(
                _("The last affected version %(last)s precedes the introduced version %(intro)s.")
                % {"last": last_affected, "intro": introduced},
                field=f"{prefix}last_affected",
            )
    return Range(introduced=introduced, fixed=fixed, last_affected=last_affected)


def any_contains(ranges: Sequence[Range], version: str) -> bool:
    return any(r.contains(version) for r in ranges)


def sort_versions(versions: Iterable[str]) -> list[str]:
    """Valid versions in ascending precedence; invalid ones are dropped."""
    parsed = [(parse(v), v) for v in versions]
    return [text for p, text in sorted((p, t) for p, t in parsed if p is not None)]


def is_prerelease(version: str) -> bool:
    parsed = parse(version)
    return parsed is not None and parsed.prerelease is not None


def newer_than(installed: str, versions: Iterable[str]) -> list[str]:
    """Final (non pre-release) versions of higher precedence than the installed one, ascending."""
    current = parse(installed)
    return [
        v
        for v in sort_versions(versions)
        if not is_prerelease(v) and (current is None or parse(v) > current)  # type: ignore[operator]
    ]


def distance(installed: str, latest: str) -> str:
    """How far the installed version is from the latest: "", "patch", "minor" or "major"."""
    have, want = parse(installed), parse(latest)
    if have is None or want is None or have >= want:
        return ""
    if have.major != want.major:
        return MAJOR
    if have.minor != want.minor:
        return MINOR
    return PATCH
