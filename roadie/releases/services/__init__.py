"""Every write of releases, entitlements and advisories goes through here."""

from roadie.releases.services.advisories import (
    RangeSpec,
    advisory_create,
    advisory_embargo,
    advisory_import_osv,
    advisory_publish,
    advisory_update,
)
from roadie.releases.services.entitlements import (
    entitlement_set,
    quote_request_create,
    update_request_approve,
    update_request_create,
    update_request_decline,
)
from roadie.releases.services.notices import (
    advisory_deployment_version_changed,
    advisory_notice_acknowledge,
    advisory_notices_recheck,
    advisory_notices_remind,
    deployment_report_version,
)
from roadie.releases.services.releases import (
    artifact_add_file,
    artifact_add_link,
    release_create,
    release_push,
)

__all__ = [
    "RangeSpec",
    "advisory_create",
    "advisory_deployment_version_changed",
    "advisory_embargo",
    "advisory_import_osv",
    "advisory_notice_acknowledge",
    "advisory_notices_recheck",
    "advisory_notices_remind",
    "advisory_publish",
    "advisory_update",
    "artifact_add_file",
    "artifact_add_link",
    "deployment_report_version",
    "entitlement_set",
    "quote_request_create",
    "release_create",
    "release_push",
    "update_request_approve",
    "update_request_create",
    "update_request_decline",
]
