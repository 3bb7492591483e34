"""Bounded reading of untrusted result files: JSON with a size cap, zip members in memory.

Nothing here ever extracts an archive to disk. Zip members are located through the
archive's central directory, their compressed bytes are read from the local header, and
they are decompressed in memory with a hard cap on the output size, so a zip bomb ends
in :class:`Unreadable` instead of filling memory. Entries with absolute paths or ``..``
make the whole archive unreadable (a zip-slip archive is refused, not partly read), and
so do entries whose bytes overlap (many names for one compressed member); what all the
members read from one archive expand to is bounded too.
"""

from __future__ import annotations

import io
import itertools
import json
import stat
import struct
import zipfile
import zlib
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import IO, Any

from safetywashing.core.limits import MAX_INT_DIGITS

#: Largest JSON results file read (bytes).
MAX_JSON_BYTES = 256 * 1024 * 1024
#: Largest decompressed size of one archive member (bytes).
MAX_MEMBER_BYTES = 64 * 1024 * 1024
#: Most entries an archive may list.
MAX_ENTRIES = 1_000_000
#: Largest decompressed size of all the members read from one archive (bytes).
MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_STORED, _DEFLATED, _ZSTD = 0, 8, 93


class Unreadable(Exception):
    """A file that cannot be used; ``reason`` completes "<path> ..." for the skip list."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _require_regular(path: Path) -> None:
    """Refuse a FIFO, device or socket before opening it (reading one may never end)."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise Unreadable(f"cannot be read ({error.strerror or error})") from None
    if not stat.S_ISREG(mode):
        raise Unreadable("is not a regular file (a FIFO, device or socket); it was not read")


def _bounded_int(text: str) -> int:
    """A JSON integer of at most :data:`MAX_INT_DIGITS` digits."""
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _TooLong(digits)
    return int(text)


class _TooLong(ValueError):
    def __init__(self, digits: int) -> None:
        super().__init__(digits)
        self.digits = digits


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def read_bounded(path: Path, *, limit: int | None = None) -> bytes:
    """Read a whole file, refusing files larger than ``limit`` bytes.

    Raises
    ------
    Unreadable
        If the file is too large or cannot be read.
    """
    cap = MAX_JSON_BYTES if limit is None else limit
    _require_regular(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(cap + 1)
    except OSError as error:
        raise Unreadable(f"cannot be read ({error.strerror or error})") from None
    if len(data) > cap:
        raise Unreadable(f"is larger than the {_megabytes(cap)} limit for a results file")
    if is_lfs_pointer(data):
        raise Unreadable(LFS_POINTER)
    return data


#: The first line of a Git LFS pointer file (what a clone without ``git lfs`` holds).
LFS_SPEC = b"version https://git-lfs.github.com/spec/v1"

#: Why a pointer is not read, and the fix.
LFS_POINTER = (
    "is a Git LFS pointer, not the file itself (the repository stores the file with Git "
    "LFS); fetch it with `git lfs pull` in that repository, or download the file"
)


def is_lfs_pointer(data: bytes) -> bool:
    """Whether ``data`` is a Git LFS pointer file rather than the content it points to."""
    return data.startswith(LFS_SPEC)


def parse_json(data: bytes) -> Any:
    """Parse JSON bytes, turning every failure into :class:`Unreadable` with the position."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unreadable(f"is not UTF-8 text (byte {error.start})") from None
    if not text.strip():
        raise Unreadable("is empty")
    return loads_text(text)


def loads_text(text: str) -> Any:
    """Parse JSON text with bounded integers and nesting; failures are :class:`Unreadable`."""
    try:
        return json.loads(text, parse_int=_bounded_int)
    except json.JSONDecodeError as error:
        raise Unreadable(
            f"is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})"
        ) from None
    except _TooLong as error:
        raise Unreadable(
            f"holds an integer of {error.digits} digits, more than the {MAX_INT_DIGITS} allowed"
        ) from None
    except RecursionError:
        raise Unreadable("is not usable JSON (nested too deeply)") from None


def load_json(path: Path, *, limit: int | None = None) -> Any:
    """Read and parse a JSON file with a size cap."""
    return parse_json(read_bounded(path, limit=limit))


def unsafe_member_name(name: str) -> bool:
    """Whether a zip entry name is absolute or climbs out of its folder with ``..``."""
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        return True
    return any(part == ".." for part in PurePosixPath(normalized).parts)


class SafeZip:
    """Read members of an untrusted zip archive into memory, never onto disk.

    Parameters
    ----------
    path : Path
        The archive.
    member_limit : int, optional
        Cap on any member's decompressed size (defaults to :data:`MAX_MEMBER_BYTES`).

    total_limit : int, optional
        Cap on the decompressed size of all the members read (defaults to
        :data:`MAX_ARCHIVE_BYTES`).

    Raises
    ------
    Unreadable
        If the file is not a zip archive, lists too many entries, has an entry with an
        absolute path or ``..``, or entries whose bytes overlap.
    """

    def __init__(
        self, path: Path, *, member_limit: int | None = None, total_limit: int | None = None
    ) -> None:
        self.path = path
        self.member_limit = MAX_MEMBER_BYTES if member_limit is None else member_limit
        self.total_limit = MAX_ARCHIVE_BYTES if total_limit is None else total_limit
        self._expanded = 0
        _require_regular(path)
        try:
            self._handle: IO[bytes] = path.open("rb")
        except OSError as error:
            raise Unreadable(f"cannot be read ({error.strerror or error})") from None
        try:
            archive = zipfile.ZipFile(self._handle)
        # NotImplementedError: a version or method field zipfile does not support (a
        # damaged header reads as "zip file version 15.8").
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
            self._handle.close()
            raise Unreadable(f"is not a valid zip archive ({error})") from None
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            self._handle.close()
            raise Unreadable(f"lists {len(infos)} entries, more than the {MAX_ENTRIES} allowed")
        for info in infos:
            if unsafe_member_name(info.filename):
                self._handle.close()
                raise Unreadable(
                    f"has an unsafe entry '{info.filename}' (absolute path or '..'); "
                    "the archive was not read"
                )
        self._infos = {info.filename: info for info in infos}
        if len(self._infos) < len(infos):
            counts = Counter(info.filename for info in infos)
            twice = next(name for name, count in counts.items() if count > 1)
            self._handle.close()
            raise Unreadable(f"has two entries named '{twice}'; the archive was not read")
        overlap = _overlapping(infos)
        if overlap is not None:
            self._handle.close()
            raise Unreadable(
                f"has entries '{overlap[0]}' and '{overlap[1]}' that share their bytes (a zip "
                "bomb?); the archive was not read"
            )

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the archive file."""
        self._handle.close()

    def names(self) -> list[str]:
        """Entry names in archive order."""
        return list(self._infos)

    def __contains__(self, name: object) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """Decompressed bytes of one member, at most ``member_limit`` of them.

        Raises
        ------
        Unreadable
            If the member is encrypted, uses an unsupported compression method, is
            corrupt, or expands beyond the cap (a zip bomb).
        """
        info = self._infos[name]
        cap = self.member_limit
        if info.flag_bits & 0x1:
            raise Unreadable(f"entry '{name}' is encrypted")
        if info.file_size > cap:
            raise Unreadable(
                f"entry '{name}' would expand to {_megabytes(info.file_size)}, over the "
                f"{_megabytes(cap)} limit (a zip bomb?)"
            )
        if info.compress_size > cap + 65536:
            raise Unreadable(
                f"entry '{name}' is {_megabytes(info.compress_size)} compressed, over the "
                f"{_megabytes(cap)} limit"
            )
        raw = self._raw(info)
        method = info.compress_type
        if method == _STORED:
            data = raw
        elif method == _DEFLATED:
            inflater = zlib.decompressobj(-15)
            try:
                data = inflater.decompress(raw, cap + 1)
            except zlib.error as error:
                raise Unreadable(f"entry '{name}' is corrupt ({error})") from None
        elif method == _ZSTD:
            data = _unzstd(raw, cap, name)
        else:
            raise Unreadable(
                f"entry '{name}' uses zip compression method {method}, which is not supported"
            )
        if len(data) > cap:
            raise Unreadable(
                f"entry '{name}' expands beyond the {_megabytes(cap)} limit (a zip bomb?)"
            )
        if zlib.crc32(data) != info.CRC:
            raise Unreadable(f"entry '{name}' is corrupt (checksum mismatch)")
        self._expanded += len(data)
        if self._expanded > self.total_limit:
            raise Unreadable(
                f"expands beyond the {_megabytes(self.total_limit)} limit for one archive "
                f"at entry '{name}' (a zip bomb?)"
            )
        return data

    def read_json(self, name: str) -> Any:
        """Parse a member as JSON; failures name the member."""
        try:
            return parse_json(self.read(name))
        except Unreadable as error:
            if error.reason.startswith("entry "):
                raise
            raise Unreadable(f"entry '{name}' {error.reason}") from None

    def _raw(self, info: zipfile.ZipInfo) -> bytes:
        handle = self._handle
        try:
            handle.seek(info.header_offset)
            header = handle.read(_LOCAL_HEADER.size)
        except (OSError, ValueError) as error:
            raise Unreadable(f"entry '{info.filename}' cannot be read ({error})") from None
        if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
            raise Unreadable(f"entry '{info.filename}' has a damaged local header")
        fields = _LOCAL_HEADER.unpack(header)
        name_length, extra_length = fields[-2], fields[-1]
        handle.seek(info.header_offset + _LOCAL_HEADER.size + name_length + extra_length)
        raw = handle.read(info.compress_size)
        if len(raw) != info.compress_size:
            raise Unreadable(f"entry '{info.filename}' is truncated")
        return raw


def _overlapping(infos: list[zipfile.ZipInfo]) -> tuple[str, str] | None:
    """Two entries whose local header and data overlap, if any.

    An entry spans at least its local header and its compressed bytes from its offset;
    its name and extra field only make it longer, so a next entry starting inside that
    span overlaps it for certain.
    """
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for before, after in itertools.pairwise(ordered):
        if after.header_offset < before.header_offset + _LOCAL_HEADER.size + before.compress_size:
            return before.filename, after.filename
    return None


def _unzstd(raw: bytes, cap: int, name: str) -> bytes:
    import zstandard  # imported only when a zstd member is met

    decompressor = zstandard.ZstdDecompressor()
    chunks: list[bytes] = []
    total = 0
    try:
        with decompressor.stream_reader(io.BytesIO(raw), read_across_frames=True) as reader:
            while total <= cap:
                chunk = reader.read(min(1 << 20, cap + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
    except zstandard.ZstdError as error:
        raise Unreadable(f"entry '{name}' is corrupt ({error})") from None
    return b"".join(chunks)
