"""Attachment checks: a size limit and a content type that must match what the bytes are."""

import hashlib
import os
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from roadie.tickets.errors import AttachmentRejected, AttachmentTooLarge

# Types a customer may attach: screenshots, logs, documents, archives.
BINARY_TYPES = {
    "image/png": {".png"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/gif": {".gif"},
    "image/webp": {".webp"},
    "application/pdf": {".pdf"},
    "application/zip": {".zip"},
    "application/gzip": {".gz", ".tgz"},
    "video/mp4": {".mp4"},
}
TEXT_TYPES = {
    "text/plain": {".txt", ".log", ".conf", ".ini", ".yaml", ".yml", ".md"},
    "text/csv": {".csv"},
    "application/json": {".json"},
}
ALLOWED_TYPES = {**BINARY_TYPES, **TEXT_TYPES}


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    data: bytes
    sha256: str


def clean_filename(name: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip().replace("\x00", "")
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return base[:200] or "attachment"


def check_upload(*, name: str, declared_type: str, data: bytes) -> CheckedUpload:
    """Refuse oversized files, unknown types and content whose bytes contradict the claim."""
    limit = settings.ROADIE_MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise AttachmentTooLarge(
            _("%(name)s is larger than the %(limit)s MB limit.")
            % {"name": name, "limit": limit // (1024 * 1024)},
            field="file",
        )
    if not data:
        raise AttachmentRejected(_("%(name)s is empty.") % {"name": name}, field="file")
    name = clean_filename(name)
    extension = os.path.splitext(name)[1].lower()
    declared = (declared_type or "").split(";")[0].strip().lower()
    sniffed = filetype.guess_mime(data)
    if sniffed in BINARY_TYPES:
        actual = sniffed
    elif sniffed is None and _is_text(data):
        actual = next((t for t, exts in TEXT_TYPES.items() if extension in exts), "")
    else:
        actual = ""
    if not actual:
        raise AttachmentRejected(
            _("%(name)s is not an allowed file type.") % {"name": name}, field="file"
        )
    declared_ok = declared in {"", "application/octet-stream", actual} or (
        actual in TEXT_TYPES and declared in TEXT_TYPES
    )
    if not declared_ok or extension not in ALLOWED_TYPES[actual]:
        raise AttachmentRejected(
            _("%(name)s claims to be %(declared)s but its content is %(actual)s.")
            % {"name": name, "declared": declared or extension, "actual": actual},
            field="file",
        )
    return CheckedUpload(
        name=name, content_type=actual, data=data, sha256=hashlib.sha256(data).hexdigest()
    )


def _is_text(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the sample's end is still text.
        return error.start >= len(sample) - 3
    return True
