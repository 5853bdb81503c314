"""A ZIP archive's table of contents, read from its central directory alone and within bounds (issue 16).

``zipfile.ZipFile`` parses the whole central directory when it opens a file, however many entries it holds
(180,000 empty entries in 15 MB took 6.75 s), and it parses as many as fit in the directory's size whatever
count the end record declares. Here the end record (and the ZIP64 one it points to) is read first: a count
over ``max_entries`` is refused before a single entry is read, and no more than that many entries are ever
parsed. Nothing is decompressed and nothing is extracted; the sizes are the ones the archive declares.

Stdlib only, values in and values out: ``contents(fh, size, max_entries=...)`` → ``list[Entry]``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

_END = struct.Struct("<4s4H2LH")  # end of central directory record (22 bytes, then a comment)
_END_SIGNATURE = b"PK\x05\x06"
_LOCATOR = struct.Struct("<4sLQL")  # ZIP64 end of central directory locator (20 bytes, just before the end record)
_LOCATOR_SIGNATURE = b"PK\x06\x07"
_END64 = struct.Struct("<4sQ2H2L4Q")  # ZIP64 end of central directory record
_END64_SIGNATURE = b"PK\x06\x06"
_ENTRY = struct.Struct("<4s4B4HL2L5H2L")  # central directory file header (46 bytes, then name, extra, comment)
_ENTRY_SIGNATURE = b"PK\x01\x02"
_ZIP64_EXTRA = 0x0001
_UTF8_NAME = 0x800
_MAX_COMMENT = 0xFFFF


class NotAZip(ValueError):
    """The file is not a ZIP archive this reader accepts (broken, spanning disks, inconsistent)."""


class TooManyEntries(ValueError):
    """The archive holds more entries than allowed (``count`` is what it declares, or what was found)."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


@dataclass(frozen=True)
class Entry:
    name: str
    compressed_size: int  # bytes stored in the archive
    size: int  # bytes once decompressed, as declared


def entry_count(fh: IO[bytes], size: int) -> tuple[int, int, int]:
    """(entries, central directory offset, central directory size) from the end record: the last 64 KB only."""
    tail_length = min(size, _END.size + _MAX_COMMENT)
    fh.seek(size - tail_length)
    tail = fh.read(tail_length)
    at = tail.rfind(_END_SIGNATURE)
    if at < 0 or len(tail) - at < _END.size:
        raise NotAZip("no end of central directory record")
    (_sig, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, _comment) = _END.unpack_from(tail, at)
    end_offset = size - tail_length + at
    if at >= _LOCATOR.size and tail[at - _LOCATOR.size: at - _LOCATOR.size + 4] == _LOCATOR_SIGNATURE:
        _sig, _disk64, end64_offset, disks = _LOCATOR.unpack_from(tail, at - _LOCATOR.size)
        if disks > 1 or end64_offset + _END64.size > end_offset:
            raise NotAZip("bad ZIP64 locator")
        fh.seek(end64_offset)
        record = fh.read(_END64.size)
        if len(record) < _END64.size or record[:4] != _END64_SIGNATURE:
            raise NotAZip("bad ZIP64 end record")
        (_sig, _size, _made, _needed, disk, cd_disk, disk_entries, entries, cd_size, cd_offset) = _END64.unpack(record)
        end_offset = end64_offset
    elif 0xFFFF in (disk_entries, entries) or 0xFFFFFFFF in (cd_size, cd_offset):
        raise NotAZip("ZIP64 values without a ZIP64 end record")
    if disk or cd_disk or disk_entries != entries:
        raise NotAZip("archives spanning several disks are not supported")
    if cd_offset + cd_size > end_offset:
        raise NotAZip("the central directory overlaps its end record")
    # data before the archive (a self-extracting stub) shifts every offset, as zipfile allows
    return entries, end_offset - cd_size, cd_size


def contents(fh: IO[bytes], size: int, *, max_entries: int) -> list[Entry]:
    """Every entry of the archive in ``fh`` (``size`` bytes long); TooManyEntries past ``max_entries`` (decided
    from the end record before the directory is read, and again while reading it); NotAZip when broken."""
    entries, cd_start, cd_size = entry_count(fh, size)
    if entries > max_entries:
        raise TooManyEntries(entries)
    fh.seek(cd_start)
    directory = fh.read(cd_size)
    if len(directory) != cd_size:
        raise NotAZip("truncated central directory")
    found: list[Entry] = []
    pos = 0
    while pos < cd_size:
        if len(found) >= max_entries:
            raise TooManyEntries(len(found) + 1)
        if cd_size - pos < _ENTRY.size or directory[pos: pos + 4] != _ENTRY_SIGNATURE:
            raise NotAZip("bad central directory entry")
        fields = _ENTRY.unpack_from(directory, pos)
        flags, compressed, uncompressed = fields[5], fields[10], fields[11]
        name_length, extra_length, comment_length = fields[12], fields[13], fields[14]
        start = pos + _ENTRY.size
        pos = start + name_length + extra_length + comment_length
        if pos > cd_size:
            raise NotAZip("truncated central directory entry")
        raw_name = directory[start: start + name_length]
        if 0xFFFFFFFF in (compressed, uncompressed):
            uncompressed, compressed = _zip64_sizes(directory[start + name_length: start + name_length + extra_length],
                                                    uncompressed, compressed)
        name = raw_name.decode("utf-8" if flags & _UTF8_NAME else "cp437", errors="replace")
        found.append(Entry(name=name, compressed_size=compressed, size=uncompressed))
    if len(found) != entries:
        raise NotAZip("the end record and the central directory disagree on the number of entries")
    return found


def _zip64_sizes(extra: bytes, uncompressed: int, compressed: int) -> tuple[int, int]:
    """The 64-bit sizes of an entry whose 32-bit fields are 0xFFFFFFFF, from its ZIP64 extra field."""
    pos = 0
    while pos + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4: pos + 4 + length]
        if kind == _ZIP64_EXTRA:
            values = [v for (v,) in struct.iter_unpack("<Q", body[: len(body) // 8 * 8])]
            if uncompressed == 0xFFFFFFFF:
                if not values:
                    break
                uncompressed = values.pop(0)
            if compressed == 0xFFFFFFFF:
                if not values:
                    break
                compressed = values.pop(0)
            return uncompressed, compressed
        pos += 4 + length
    raise NotAZip("missing ZIP64 sizes")
