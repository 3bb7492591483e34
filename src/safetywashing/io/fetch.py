"""The paper's released data, downloaded once, verified, cached for offline use.

``fetch_paper()`` downloads the three CSV files of Ren et al.'s repository
(``centerforaisafety/safetywashing``) at a pinned commit, checks each file's SHA-256
against the value recorded here, and only then writes them to the cache. The cache is
``$SAFETYWASHING_DATA_DIR`` when set, else ``$XDG_CACHE_HOME/safetywashing`` or
``~/.cache/safetywashing``. The download location can be changed with
``$SAFETYWASHING_BASE_URL`` (or ``base_url=``), e.g. to a mirror; the hashes still decide
what is accepted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from safetywashing.core.errors import InputError

PAPER_REPOSITORY = "centerforaisafety/safetywashing"
PAPER_COMMIT = "bee302c11f174afb064d721123b16b810d34f4fd"
PAPER_BASE_URL = f"https://raw.githubusercontent.com/{PAPER_REPOSITORY}/{PAPER_COMMIT}/data/"
PAPER_FILES: dict[str, str] = {
    "benchmarks_base_models.csv": (
        "52b0af4f6d6c4426614f4b95d21086d25955fa8c978d88349bdeed82bdcb1be5"
    ),
    "benchmarks_chat_models.csv": (
        "5ede988872d8bba23d0bb87fcebb9704d7fe7d4e6f065226b691499333f57c58"
    ),
    "benchmarks_info.csv": "a043fd235bff9b38897e7cd2a566dbdf041f56eb779dcdd0c45e55809e758470",
}
DATA_DIR_ENV = "SAFETYWASHING_DATA_DIR"
BASE_URL_ENV = "SAFETYWASHING_BASE_URL"
#: Longest wait for a connection or for any bytes of a response.
TIMEOUT_SECONDS = 60.0
#: Longest time all the downloads of one fetch may take together: a mirror that sends a
#: byte now and then never trips the per-read timeout, and this ends it.
DEADLINE_SECONDS = 300.0


def cache_dir() -> Path:
    """Folder where fetched data sets live (see the module docstring).

    Raises
    ------
    InputError
        If ``SAFETYWASHING_DATA_DIR`` names the home of an unknown user (``~nosuchuser``),
        or no home folder can be found for the default cache.
    """
    override = os.environ.get(DATA_DIR_ENV)
    try:
        if override:
            return Path(override).expanduser()
        xdg = os.environ.get("XDG_CACHE_HOME")
        root = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    except RuntimeError:  # ``~user`` of an unknown user, or no home folder
        raise InputError(
            f"{DATA_DIR_ENV}={override} names the home folder of a user this system does not "
            f"know; set {DATA_DIR_ENV} to an existing folder, or unset it."
            if override
            else f"The home folder (for the cache ~/.cache/safetywashing) cannot be "
            f"determined; set {DATA_DIR_ENV} to a folder for the cache."
        ) from None
    return root / "safetywashing"


def paper_dir() -> Path:
    """Folder of the paper's files inside the cache."""
    return cache_dir() / "safetywashing-paper"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch_paper` did."""

    folder: Path
    #: Files downloaded in this call.
    downloaded: tuple[str, ...]
    #: Files already present with the right hash.
    cached: tuple[str, ...]
    base_url: str


#: The paper's files are under 0.2 MB each; a download is stopped well before memory fills.
MAX_DOWNLOAD_BYTES = 8 * 1024 * 1024


def _download(url: str, deadline: float) -> bytes:
    """The bytes at ``url``, read by ``deadline`` (a :func:`time.monotonic` time)."""
    import http.client
    import stat
    import time
    import urllib.error
    import urllib.parse
    import urllib.request

    if url.lower().startswith("file:"):  # a FIFO or device would block or never end
        local = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
        with contextlib.suppress(OSError):
            if not stat.S_ISREG(local.stat().st_mode) and not local.is_dir():
                raise InputError(
                    f"{url} is not a regular file (a FIFO or device), so it was not read; "
                    f"check the mirror set in {BASE_URL_ENV}."
                )
    chunks: list[bytes] = []
    size = 0
    try:
        timeout = max(min(TIMEOUT_SECONDS, deadline - time.monotonic()), 0.001)
        with urllib.request.urlopen(url, timeout=timeout) as response:
            # read1 returns what one read gives, so the deadline is checked between reads
            # (read(n) would wait for all n bytes however slowly they come).
            read = getattr(response, "read1", response.read)
            while size <= MAX_DOWNLOAD_BYTES:
                if time.monotonic() > deadline:
                    raise _Late
                chunk: bytes = read(min(1 << 16, MAX_DOWNLOAD_BYTES + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except _Late:
        raise InputError(
            f"Downloading {url} took longer than the {DEADLINE_SECONDS:g} s allowed for the "
            "paper's files, so it was stopped; check the network connection or set "
            f"{BASE_URL_ENV} to a faster mirror."
        ) from None
    except urllib.error.HTTPError as error:
        raise InputError(
            f"Downloading {url} failed (HTTP {error.code}); check the address or set "
            f"{BASE_URL_ENV} to a mirror."
        ) from None
    except (ValueError, urllib.error.URLError, OSError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, ValueError | http.client.InvalidURL):  # no scheme, a space
            raise InputError(
                f"{url} is not a URL ({reason}); give --base-url or {BASE_URL_ENV} as a "
                "folder URL such as https://host/path/ or file:///path/."
            ) from None
        raise InputError(
            f"Downloading {url} failed ({reason}); check the network connection or set "
            f"{BASE_URL_ENV} to a mirror."
        ) from None
    data = b"".join(chunks)
    if len(data) > MAX_DOWNLOAD_BYTES:
        raise InputError(
            f"{url} is larger than the {MAX_DOWNLOAD_BYTES // (1024 * 1024)} MB expected of "
            f"the paper's files, so the download was stopped; check the address or the "
            f"mirror set in {BASE_URL_ENV}."
        )
    return data


class _Late(Exception):
    """The fetch's deadline passed during a download."""


def fetch_paper(*, base_url: str | None = None, force: bool = False) -> FetchResult:
    """Download, verify and cache the paper's three CSV files.

    Every file is downloaded and verified before any is written, so a bad download
    leaves the cache as it was. The downloads together are stopped after
    :data:`DEADLINE_SECONDS` (the read under way then may wait up to
    :data:`TIMEOUT_SECONDS` more), however slowly a mirror sends its bytes.

    Parameters
    ----------
    base_url : str, optional
        Folder URL holding the files; default ``$SAFETYWASHING_BASE_URL`` or the
        authors' repository at the pinned commit.
    force : bool, default False
        Download even files already cached with the right hash.

    Returns
    -------
    FetchResult

    Raises
    ------
    InputError
        A download fails or a file's SHA-256 differs from the pinned value.
    """
    import time

    from safetywashing.io.writers import write_atomic

    deadline = time.monotonic() + DEADLINE_SECONDS
    base = base_url or os.environ.get(BASE_URL_ENV) or PAPER_BASE_URL
    if not base.endswith("/"):
        base += "/"
    folder = paper_dir()
    cached: list[str] = []
    payloads: dict[str, bytes] = {}
    for name, expected in PAPER_FILES.items():
        target = folder / name
        if not force and target.is_file() and _sha256(target.read_bytes()) == expected:
            cached.append(name)
            continue
        url = base + name
        data = _download(url, deadline)
        digest = _sha256(data)
        if digest != expected:
            raise InputError(
                f"{url} has SHA-256 {digest}, not the pinned {expected}; the download is "
                "corrupt or the file changed, so nothing was cached (retry, or check the "
                f"mirror set in {BASE_URL_ENV})."
            )
        payloads[name] = data
    for name, data in payloads.items():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(folder / name, data, force=True)
        except OSError as error:
            raise InputError(
                f"Cannot write {folder / name} ({error.strerror or error}); make the folder "
                f"writable or point {DATA_DIR_ENV} at another folder."
            ) from None
    return FetchResult(folder, tuple(payloads), tuple(cached), base)


def paper_file(name: str) -> Path:
    """Path of one cached, verified file of the paper's data.

    Raises
    ------
    InputError
        The file is not cached (run the fetch) or its hash does not match.
    """
    expected = PAPER_FILES[name]
    path = paper_dir() / name
    if not path.is_file():
        raise InputError(
            f"The paper's data is not in the cache ({path} is missing); run "
            "`safetywashing datasets fetch paper` once (or point "
            f"{DATA_DIR_ENV} at a folder holding safetywashing-paper/)."
        )
    if _sha256(path.read_bytes()) != expected:
        raise InputError(
            f"{path} does not have the pinned SHA-256; run `safetywashing datasets fetch paper "
            "--force` to download it again."
        )
    return path
