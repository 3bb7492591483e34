"""Untrusted archives and files: nothing written, hostile entries refused, sizes capped."""

from __future__ import annotations

from pathlib import Path

import pytest

from safetywashing.io.frameworks import _safe, ingest
from safetywashing.io.frameworks._safe import SafeZip, Unreadable, load_json, unsafe_member_name


def _reasons(folder: Path) -> dict[str, str]:
    report = ingest(folder)
    assert not report.records
    return {Path(s.path).name: s.reason for s in report.skipped}


def test_hostile_archives_are_refused_with_reasons(hostile: dict[str, Path]) -> None:
    folder = hostile["slip"].parent
    before = sorted(p.name for p in folder.parent.rglob("*"))
    reasons = _reasons(folder)
    assert reasons["slip.eval"] == (
        "has an unsafe entry '../../outside.txt' (absolute path or '..'); the archive was not read"
    )
    assert reasons["absolute.eval"].startswith("has an unsafe entry '/etc/cron.d/evil'")
    assert reasons["windows.eval"].startswith("has an unsafe entry '..\\..\\evil.bat'")
    assert reasons["bomb.eval"] == (
        "entry 'header.json' would expand to 4.8 MB, over the 1.0 MB limit (a zip bomb?)"
    )
    assert reasons["zstd_bomb.eval"].startswith("entry 'header.json' would expand to 4.8 MB")
    # A bomb that lies about its size is stopped while decompressing.
    assert reasons["lying_bomb.eval"] == (
        "entry 'header.json' expands beyond the 1.0 MB limit (a zip bomb?)"
    )
    assert reasons["bad_crc.eval"] == "entry 'header.json' is corrupt (checksum mismatch)"
    assert reasons["not_a_zip.eval"].startswith("is not a valid zip archive")
    # Reading wrote nothing anywhere near the archives.
    assert sorted(p.name for p in folder.parent.rglob("*")) == before
    assert not (folder.parent.parent / "outside.txt").exists()


def test_lying_zstd_bomb_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import make_inspect_fixtures as build

    monkeypatch.setattr(_safe, "MAX_MEMBER_BYTES", 100_000)
    path = build.write_zip(
        tmp_path / "z.eval", [("header.json", b"{" * 2_000_000, build.ZSTD)], declared_size=10
    )
    with SafeZip(path) as archive, pytest.raises(Unreadable, match="expands beyond"):
        archive.read("header.json")


def test_oversized_compressed_member(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import make_inspect_fixtures as build

    monkeypatch.setattr(_safe, "MAX_MEMBER_BYTES", 10_000)
    noise = bytes(range(256)) * 1000  # stored: compressed size = 256,000 bytes
    members = [("header.json", noise, build.STORED)]
    path = build.write_zip(tmp_path / "s.eval", members, declared_size=5)
    with SafeZip(path) as archive, pytest.raises(Unreadable, match="compressed, over the"):
        archive.read("header.json")


@pytest.mark.parametrize(
    ("name", "unsafe"),
    [
        ("header.json", False),
        ("samples/1_epoch_1.json", False),
        ("a/../b", True),
        ("../x", True),
        ("/abs", True),
        ("C:/windows", True),
        ("..\\x", True),
        ("dots..name", False),
    ],
)
def test_unsafe_member_names(name: str, unsafe: bool) -> None:
    assert unsafe_member_name(name) is unsafe


def test_json_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text('{"results": {}}' + " " * 2000)
    with pytest.raises(Unreadable, match=r"larger than the 0\.0 MB limit"):
        load_json(path, limit=1000)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b"\xff\xfe{", "is not UTF-8 text (byte 0)"),
        (b'{"a": 1,}', "is not valid JSON (Expecting property name enclosed in double quotes at "
                       "line 1, column 9)"),
        (b"[" * 100_000, "is not usable JSON (nested too deeply)"),
    ],
)  # fmt: skip
def test_malformed_json_names_the_problem(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(Unreadable) as caught:
        load_json(path)
    assert caught.value.reason == reason


def test_unsupported_method_and_encryption(tmp_path: Path) -> None:
    import make_inspect_fixtures as build

    path = build.write_zip(tmp_path / "m.eval", [("header.json", b"{}", build.STORED)])
    data = bytearray(path.read_bytes())
    # Patch the method (stored -> 14, LZMA) in the central directory record.
    central = data.rindex(b"PK\x01\x02")
    data[central + 10 : central + 12] = (14).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    with SafeZip(path) as archive, pytest.raises(Unreadable, match="method 14"):
        archive.read("header.json")
