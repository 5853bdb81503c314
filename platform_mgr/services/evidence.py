"""Evidence files: size- and type-checked uploads stored under generated names outside static/.

The type is decided by the content (magic bytes), never by the name or the client's content type:
PDF, PNG, JPEG, the ZIP-based Office formats (docx, xlsx, pptx) and plain text / CSV. Anything else
answers 422; anything over MAX_UPLOAD_MB answers 413. The original file name is kept for display and
as the download name.

An Office file is a ZIP archive, checked from its central directory alone (archives.py: nothing is
decompressed or extracted): more than MAX_ZIP_ENTRIES entries (refused from the end record, before the
directory is read), more than MAX_ZIP_UNCOMPRESSED_MB declared once unpacked, or an entry or the whole
archive unpacking to more than MAX_ZIP_RATIO times its compressed size — a zip bomb — answers 422.
"""
from __future__ import annotations

import codecs
import hashlib
import os
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from .. import archives
from ..errors import Invalid, NotFound, TooLarge
from ..models import EvidenceFile
from . import audit
from .milestones import FIX, audit_child

CHUNK = 64 * 1024
OFFICE = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"),
}
# the extensions a file name may carry for each accepted content type (a name without one is fine)
NAME_EXTENSIONS = {
    ".pdf": {"pdf"}, ".png": {"png"}, ".jpg": {"jpg", "jpeg", "jpe"}, ".docx": {"docx"}, ".xlsx": {"xlsx"},
    ".pptx": {"pptx"}, ".txt": {"txt", "text", "md", "log", "csv", "tsv"}, ".csv": {"csv"},
}
# every content type a stored upload is served with (the API document lists them for downloads)
CONTENT_TYPES = ("application/pdf", "image/png", "image/jpeg", *(kind for kind, _ext in OFFICE.values()), "text/plain",
                 "text/csv")
ALLOWED_HELP = _l("Allowed: PDF, PNG, JPEG, Word/Excel/PowerPoint (docx, xlsx, pptx), plain text or CSV.")
AUDIT_FIELDS = ("milestone_id", "outcome_id", "original_name", "stored_name", "content_type", "size_bytes", "sha256")


# a ratio is only judged past this size: small parts of an Office file (styles, empty sheets) compress very well
RATIO_GRACE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ZipLimits:
    """What an Office file (a ZIP archive) may hold; the defaults are the settings' (config.Settings)."""

    max_entries: int = 10_000
    max_total_bytes: int = 200 * 1024 * 1024
    max_ratio: int = 100


def zip_limits(config: Any) -> ZipLimits:
    return ZipLimits(max_entries=int(config["MAX_ZIP_ENTRIES"]),
                     max_total_bytes=int(config["MAX_ZIP_UNCOMPRESSED_MB"]) * 1024 * 1024,
                     max_ratio=int(config["MAX_ZIP_RATIO"]))


def _refuse_archive(reason: Any) -> Invalid:
    return Invalid(_l("This archive is not accepted."), fields={"file": reason})


def _office_kind(path: Path, limits: ZipLimits) -> tuple[str, str] | None:
    """The Office type of a ZIP archive; None when it is not one; 422 when it is beyond ``limits``."""
    size = path.stat().st_size
    try:
        with open(path, "rb") as fh:
            entries = archives.contents(fh, size, max_entries=limits.max_entries)
    except archives.TooManyEntries:
        raise _refuse_archive(_l("The archive holds more than %(n)d files.", n=limits.max_entries)) from None
    except (archives.NotAZip, OSError):
        return None
    total = sum(entry.size for entry in entries)
    if total > limits.max_total_bytes:
        raise _refuse_archive(_l("The archive unpacks to more than %(n)d MB.", n=limits.max_total_bytes // 2**20))
    if any(entry.size > RATIO_GRACE_BYTES and entry.size > limits.max_ratio * max(entry.compressed_size, 1)
           for entry in entries):
        raise _refuse_archive(_l("A file in the archive unpacks to more than %(n)d times its compressed size.",
                                 n=limits.max_ratio))
    if total > RATIO_GRACE_BYTES and total > limits.max_ratio * size:
        raise _refuse_archive(_l("The archive unpacks to more than %(n)d times its size.", n=limits.max_ratio))
    names = [entry.name for entry in entries]
    if "[Content_Types].xml" not in names:
        return None
    for prefix, kind in OFFICE.items():
        if any(name.startswith(prefix) for name in names):
            return kind
    return None


def _is_text(head: bytes) -> bool:
    """UTF-8 (with or without BOM) or GB18030 text without NUL or other control characters."""
    if b"\x00" in head:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            text = decoder.decode(head, final=False)  # a character cut at the sample's end is fine
        except UnicodeDecodeError:
            continue
        if all(ch in "\t\n\r\f" or unicodedata.category(ch) != "Cc" for ch in text):
            return True
    return False


def sniff(path: Path, original_name: str, zip_limits: ZipLimits = ZipLimits()) -> tuple[str, str] | None:
    """(content type, extension) decided from the file's content; None when the type is not accepted; 422 for
    an Office file beyond ``zip_limits``."""
    with open(path, "rb") as fh:
        head = fh.read(CHUNK)
    if head.startswith(b"%PDF-"):
        return "application/pdf", ".pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(path, zip_limits)
    if head and _is_text(head):
        if original_name.lower().endswith(".csv"):
            return "text/csv", ".csv"
        return "text/plain", ".txt"
    return None


def clean_name(filename: str | None, ext: str) -> str:
    """The client's file name without any path, control characters or excess length."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if not name:
        name = "evidence" + ext
    if len(name) > 255:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:250 - len(suffix)] + dot + suffix) if dot and len(suffix) < 10 else name[:255]
    return name


@dataclass(frozen=True)
class StoredUpload:
    """A checked file moved into its directory under a generated name (the row is the caller's)."""

    path: Path
    stored_name: str
    original_name: str
    content_type: str
    size_bytes: int
    sha256: str


def store_upload(stream: IO[bytes] | None, filename: str | None, *, upload_dir: str | Path, max_bytes: int,
                 prefix: str = "", zip_limits: ZipLimits = ZipLimits()) -> StoredUpload:
    """The one upload check for the whole app (evidence and self-assessment attachments).

    Streams to a temporary file in `upload_dir` (never under static/), 413 past `max_bytes`, 422 when
    empty, when the content is not an accepted type, when an Office file is beyond `zip_limits`, or when
    the name's extension says another type than the content. Nothing is left on disk on failure; on success
    the caller deletes ``path`` if its transaction fails afterwards.
    """
    if stream is None or not (filename or "").strip():
        raise Invalid(FIX, fields={"file": _l("Choose a file to upload.")})
    directory = Path(upload_dir)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=directory)
    tmp = Path(tmp_name)
    final: Path | None = None
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(_l("The file is larger than %(n)d MB.", n=max_bytes // (1024 * 1024)),
                                   fields={"file": _l("The file is larger than %(n)d MB.",
                                                      n=max_bytes // (1024 * 1024))})
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise Invalid(FIX, fields={"file": _l("The file is empty.")})
        kind = sniff(tmp, filename or "", zip_limits)
        if kind is None:
            raise Invalid(_l("This type of file is not accepted."),
                          fields={"file": _l("This type of file is not accepted.") + " " + str(ALLOWED_HELP)})
        content_type, ext = kind
        original = clean_name(filename, ext)
        named = original.rsplit(".", 1)[-1].lower() if "." in original else ""
        if named and named not in NAME_EXTENSIONS[ext]:
            raise Invalid(_l("This type of file is not accepted."),
                          fields={"file": _l("The file's name does not match its content.") + " " + str(ALLOWED_HELP)})
        stored_name = prefix + secrets.token_hex(16) + ext
        final = directory / stored_name
        os.replace(tmp, final)
        return StoredUpload(path=final, stored_name=stored_name, original_name=original, content_type=content_type,
                            size_bytes=size, sha256=digest.hexdigest())
    except BaseException:
        tmp.unlink(missing_ok=True)
        if final is not None:
            final.unlink(missing_ok=True)
        raise


def store_evidence(session: Session, user, *, project_id: int, stream: IO[bytes] | None, filename: str | None,
                   upload_dir: str, max_bytes: int, milestone_id: int | None = None,
                   outcome_id: int | None = None, zip_limits: ZipLimits = ZipLimits()) -> EvidenceFile:
    """Check and store one uploaded file for a milestone or an outcome; audit it as the project's."""
    stored = store_upload(stream, filename, upload_dir=upload_dir, max_bytes=max_bytes, zip_limits=zip_limits)
    try:
        evidence = EvidenceFile(milestone_id=milestone_id, outcome_id=outcome_id,
                                original_name=stored.original_name, stored_name=stored.stored_name,
                                content_type=stored.content_type, size_bytes=stored.size_bytes, sha256=stored.sha256,
                                uploaded_by_id=getattr(user, "id", None))
        session.add(evidence)
        session.flush()
        audit_child(session, user, "evidence_file", evidence.id, "upload", project_id, None,
                    audit.snapshot(evidence, AUDIT_FIELDS))
        return evidence
    except BaseException:
        stored.path.unlink(missing_ok=True)
        raise


def evidence_path(upload_dir: str, evidence: EvidenceFile) -> Path:
    """Where a stored file lies; 404 when it is gone from the disk."""
    path = Path(upload_dir) / evidence.stored_name
    if os.sep in evidence.stored_name or not path.is_file():
        raise NotFound(_l("The stored file is missing."))
    return path


def max_upload_bytes(config: Any) -> int:
    return int(config["MAX_UPLOAD_MB"]) * 1024 * 1024
