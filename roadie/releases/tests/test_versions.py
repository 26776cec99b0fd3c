"""SemVer precedence, the kind of a release, and affected ranges (pure, no database)."""

import pytest

from roadie.releases import versions
from roadie.releases.errors import InvalidRange, InvalidVersion
from roadie.releases.versions import Range

# SemVer 2.0.0 §11's own example, lowest first.
PRECEDENCE = [
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "2.0.0-rc.1",
    "2.0.0",
    "10.0.0",
]


def test_sort_follows_semver_precedence_not_text_order():
    shuffled = list(reversed(PRECEDENCE))
    assert versions.sort_versions(shuffled) == PRECEDENCE


def test_build_metadata_does_not_count_for_precedence():
    assert versions.parse("1.0.0+build.7") == versions.parse("1.0.0")


@pytest.mark.parametrize(
    ("version", "ranges", "affected"),
    [
        # introduced "0": every version before the fix, pre-releases included.
        ("0.0.1", [Range("0", "2.4.3")], True),
        ("2.4.2", [Range("0", "2.4.3")], True),
        ("2.4.3", [Range("0", "2.4.3")], False),
        ("2.4.10", [Range("0", "2.4.3")], False),  # numeric, not text, comparison
        # A pre-release of the fixed version precedes it: still affected.
        ("2.4.3-rc.1", [Range("0", "2.4.3")], True),
        ("2.4.3+hotfix", [Range("0", "2.4.3")], False),
        # The lower bound is inclusive; a pre-release of it comes before it.
        ("2.0.0", [Range("2.0.0", "2.4.3")], True),
        ("2.0.0-beta.1", [Range("2.0.0", "2.4.3")], False),
        ("1.9.9", [Range("2.0.0", "2.4.3")], False),
        # No fix: everything from introduced on.
        ("99.0.0", [Range("2.0.0")], True),
        ("1.0.0", [Range("2.0.0")], False),
        # last_affected is inclusive.
        ("2.4.2", [Range("2.0.0", last_affected="2.4.2")], True),
        ("2.4.3-rc.1", [Range("2.0.0", last_affected="2.4.2")], False),
        # Two ranges (a backport fix on 1.x and a fix on 2.x).
        ("1.8.3", [Range("1.5.0", "1.8.4"), Range("2.0.0", "2.1.1")], True),
        ("1.8.4", [Range("1.5.0", "1.8.4"), Range("2.0.0", "2.1.1")], False),
        ("1.9.0", [Range("1.5.0", "1.8.4"), Range("2.0.0", "2.1.1")], False),
        ("2.1.0", [Range("1.5.0", "1.8.4"), Range("2.0.0", "2.1.1")], True),
        # An installed version that is not SemVer is never counted as affected.
        ("v2.4.1", [Range("0")], False),
    ],
)
def test_affected_ranges_follow_semver_precedence(version, ranges, affected):
    assert versions.any_contains(ranges, version) is affected


@pytest.mark.parametrize(
    ("version", "existing", "kind"),
    [
        ("1.0.0", [], "major"),
        ("0.3.0", [], "minor"),  # 0.x first release: initial development
        ("1.0.1", ["1.0.0"], "patch"),
        ("1.1.0", ["1.0.0", "1.0.1"], "minor"),
        ("2.0.0", ["1.0.0", "1.1.0"], "major"),
        ("1.0.0", ["0.9.3"], "major"),
        # The previous release is the highest lower one: a backport patch on 1.x.
        ("1.1.1", ["1.0.0", "1.1.0", "2.0.0"], "patch"),
        # Pre-releases of the same version do not count as the previous release.
        ("2.0.0", ["1.4.0", "2.0.0-rc.1", "2.0.0-rc.2"], "major"),
        ("2.0.0-rc.2", ["1.4.0", "2.0.0-rc.1"], "major"),
        ("1.4.1-rc.1", ["1.4.0"], "patch"),
    ],
)
def test_kind_is_derived_from_the_previous_release(version, existing, kind):
    assert versions.derive_kind(version, existing) == kind


@pytest.mark.parametrize("bad", ["2.4", "v2.4.1", "2.4.1.0", "", "latest", "02.4.1"])
def test_a_version_that_is_not_semver_is_refused(bad):
    with pytest.raises(InvalidVersion) as error:
        versions.check_version(bad)
    assert error.value.field == "version"


def test_a_fixed_version_before_the_introduced_one_is_refused():
    with pytest.raises(InvalidRange) as error:
        versions.check_range("2.4.0", "2.3.9", prefix="affected.0.")
    assert error.value.field == "affected.0.fixed"
    with pytest.raises(InvalidRange):
        versions.check_range("2.4.0", "2.4.0")


def test_range_fields_are_checked_and_named():
    with pytest.raises(InvalidVersion) as error:
        versions.check_range("two", "2.4.0", prefix="affected.1.")
    assert error.value.field == "affected.1.introduced"
    with pytest.raises(InvalidRange) as error:
        versions.check_range("0", "2.4.0", "2.3.0", prefix="affected.0.")
    assert error.value.field == "affected.0.last_affected"
    assert versions.check_range("", "") == Range("0", "", "")


def test_distance_names_the_biggest_step_behind():
    assert versions.distance("2.4.1", "2.4.3") == "patch"
    assert versions.distance("2.4.1", "2.6.0") == "minor"
    assert versions.distance("1.9.0", "2.0.0") == "major"
    assert versions.distance("2.4.3", "2.4.3") == ""


def test_newer_than_lists_final_releases_in_order():
    assert versions.newer_than("2.4.1", ["2.5.0", "2.4.2", "2.4.0", "3.0.0-rc.1", "2.4.1"]) == [
        "2.4.2",
        "2.5.0",
    ]
