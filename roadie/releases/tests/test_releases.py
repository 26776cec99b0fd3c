"""Releases and artifacts: kinds, duplicates, checksums, size limits, pushes."""

import hashlib
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings

from roadie.accounts.models import Role
from roadie.core.tests import factories
from roadie.notifications.models import OutboxMessage
from roadie.releases import services
from roadie.releases.errors import (
    ArtifactTooLarge,
    ChecksumMismatch,
    DuplicateRelease,
    InvalidRelease,
    InvalidVersion,
    NotAllowed,
)
from roadie.releases.models import Artifact, Event, Release, UpdateRequest
from roadie.releases.tests.factories import make_advisory, make_deployment, make_release

pytestmark = pytest.mark.django_db

DATA = b"roadie-live-2.5.0.tar.gz contents" * 100
DATA_SHA = hashlib.sha256(DATA).hexdigest()


def test_kind_is_derived_and_recorded_with_an_event(product, engineer):
    first = make_release(product, "1.0.0", by=engineer)
    patch = make_release(product, "1.0.1", by=engineer, notes="修复推流断开 **fix**")
    minor = make_release(product, "1.1.0", by=engineer)
    major = make_release(product, "2.0.0", by=engineer)
    assert [r.kind for r in (first, patch, minor, major)] == ["major", "patch", "minor", "major"]
    assert Event.objects.filter(kind=Event.Kind.RELEASE_CREATED).count() == 4


def test_kind_can_be_overridden_only_with_a_reason(product, engineer):
    make_release(product, "1.0.0", by=engineer)
    with pytest.raises(InvalidRelease) as error:
        make_release(product, "1.1.0", by=engineer, kind="patch")
    assert error.value.field == "kind_reason"
    release = make_release(
        product, "1.1.0", by=engineer, kind="patch", kind_reason="Only bug fixes; no new API."
    )
    assert (release.kind, release.derived_kind, release.kind_overridden) == ("patch", "minor", True)


def test_duplicate_release_is_refused_and_nothing_stored(product, engineer):
    make_release(product, "2.4.1", by=engineer)
    for duplicate in ("2.4.1", " 2.4.1 ", "2.4.1+build.2"):
        with pytest.raises(DuplicateRelease) as error:
            make_release(product, duplicate, by=engineer)
        assert error.value.field == "version"
    assert Release.objects.count() == 1


def test_version_that_is_not_semver_is_refused(product, engineer):
    with pytest.raises(InvalidVersion) as error:
        make_release(product, "2.4", by=engineer)
    assert error.value.field == "version"
    assert not Release.objects.exists()


def test_support_cannot_end_before_the_release(product, engineer):
    with pytest.raises(InvalidRelease) as error:
        make_release(
            product,
            "1.0.0",
            by=engineer,
            released_on=date(2026, 3, 1),
            end_of_support_on=date(2026, 2, 1),
        )
    assert error.value.field == "end_of_support_on"


def test_only_engineers_managers_and_admins_record_releases(product, agent, customer_a):
    for user in (agent, customer_a):
        with pytest.raises(NotAllowed):
            make_release(product, "1.0.0", by=user)


def test_uploaded_artifact_is_stored_with_its_sha256(product, engineer):
    release = make_release(product, "2.5.0", by=engineer)
    artifact = services.artifact_add_file(
        release=release,
        by=engineer,
        content=ContentFile(DATA, name="roadie-live-2.5.0.tar.gz"),
        sha256=DATA_SHA.upper(),
    )
    assert artifact.sha256 == DATA_SHA and artifact.size == len(DATA)
    with artifact.file.open("rb") as stored:
        assert stored.read() == DATA
    artifact.file.delete(save=False)


def test_checksum_mismatch_stores_nothing(product, engineer, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    release = make_release(product, "2.5.0", by=engineer)
    with pytest.raises(ChecksumMismatch) as error:
        services.artifact_add_file(
            release=release,
            by=engineer,
            content=ContentFile(DATA, name="x.tar.gz"),
            sha256="0" * 64,
        )
    assert error.value.field == "sha256"
    assert not Artifact.objects.exists()
    assert not any(tmp_path.rglob("*.tar.gz"))


def test_malformed_checksum_is_refused(product, engineer):
    release = make_release(product, "2.5.0", by=engineer)
    with pytest.raises(InvalidRelease) as error:
        services.artifact_add_file(
            release=release, by=engineer, content=ContentFile(DATA, name="x.bin"), sha256="abc"
        )
    assert error.value.field == "sha256"


@override_settings(ROADIE_MAX_UPLOAD_BYTES=1000)
def test_artifact_over_the_upload_limit_is_refused(product, engineer):
    release = make_release(product, "2.5.0", by=engineer)
    with pytest.raises(ArtifactTooLarge) as error:
        services.artifact_add_file(
            release=release, by=engineer, content=ContentFile(b"x" * 1001, name="big.bin")
        )
    assert error.value.field == "file"
    assert not Artifact.objects.exists()


def test_linked_artifact_needs_a_url_and_a_sha256(product, engineer):
    release = make_release(product, "2.5.0", by=engineer)
    with pytest.raises(InvalidRelease) as error:
        services.artifact_add_link(
            release=release, by=engineer, url="https://dl.example.cn/live-2.5.0.tgz", sha256=""
        )
    assert error.value.field == "sha256"
    with pytest.raises(InvalidRelease) as error:
        services.artifact_add_link(release=release, by=engineer, url="ftp://x", sha256=DATA_SHA)
    assert error.value.field == "url"
    artifact = services.artifact_add_link(
        release=release, by=engineer, url="https://dl.example.cn/live-2.5.0.tgz", sha256=DATA_SHA
    )
    assert artifact.name == "live-2.5.0.tgz" and artifact.is_link


def test_a_new_release_links_the_advisories_it_fixes(product, engineer):
    advisory = make_advisory(product, "0", "2.4.3", by=engineer)
    release = make_release(product, "2.4.3", by=engineer)
    assert list(advisory.fixed_releases.all()) == [release]


def test_push_contracts_are_offered_a_new_release_with_an_email(product, engineer, org_a, org_b):
    from roadie.releases.services import entitlement_set

    manager = factories.make_user(Role.MANAGER)
    entitlement_set(contract=org_a.contracts.get(), by=manager, delivery_mode="push")
    factories.make_user(Role.CUSTOMER_ADMIN, org_a, email="ops@alpha.example")
    factories.make_user(Role.CUSTOMER_ADMIN, org_b, email="ops@beta.example")
    make_deployment(org_a, product, "2.4.1")
    make_deployment(org_b, product, "2.4.1")  # on request: not pushed
    make_release(product, "2.4.1", by=engineer)  # what they run: nothing to push
    release = make_release(product, "2.4.2", by=engineer)
    pushed = UpdateRequest.objects.get()
    assert (pushed.organization, pushed.release, pushed.status, pushed.source) == (
        org_a,
        release,
        "approved",
        "push",
    )
    recipients = set(OutboxMessage.objects.values_list("recipient", flat=True))
    assert "ops@alpha.example" in recipients and "ops@beta.example" not in recipients
