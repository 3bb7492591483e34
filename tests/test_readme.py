"""Every console example of the README runs as written.

The examples run in a fresh folder holding the paper's released CSVs and the ObsScaling
files (linked from the reference datasets beside the clone) and a link to ``./dev``, as
a user's folder would; each must exit 0. ``./dev test`` is left out: it is what runs
this test.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SKIPPED = ("./dev test",)


def console_blocks(text: str) -> list[list[str]]:
    """The ``$ `` commands of each console block of the README, continuation lines joined."""
    blocks: list[list[str]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        commands: list[str] = []
        pending = ""
        for line in block.splitlines():
            if pending:
                pending += " " + line.strip()
            elif line.startswith("$ "):
                pending = line[2:].strip()
            else:
                continue
            if pending.endswith("\\"):
                pending = pending[:-1].rstrip()
                continue
            commands.append(re.sub(r"\s+#.*$", "", pending))
            pending = ""
        blocks.append(commands)
    return blocks


def console_commands(text: str) -> list[str]:
    """Every ``$ `` command of the README's console blocks, in order."""
    return [command for block in console_blocks(text) for command in block]


def test_the_parser_joins_continuations_and_drops_comments() -> None:
    text = "```console\n$ ./dev a \\\n    --b c   # note\nout\n$ ./dev d\n```\n"
    assert console_commands(text) == ["./dev a --b c", "./dev d"]
    assert console_blocks(text + text) == [["./dev a --b c", "./dev d"]] * 2


#: Each block's commands, without the one that runs this test; a block's later commands
#: may use what its earlier ones wrote, so a block runs as one test, in order.
BLOCKS = [
    commands
    for commands in (
        [c for c in block if not c.startswith(SKIPPED)]
        for block in console_blocks(README.read_text(encoding="utf-8"))
    )
    if commands
]
COMMANDS = [command for block in BLOCKS for command in block]


@pytest.fixture(scope="module")
def user_folder(tmp_path_factory: pytest.TempPathFactory, datasets_dir: Path) -> Path:
    folder = tmp_path_factory.mktemp("user")
    for source in ("safetywashing-paper", "obsscaling"):
        for path in (datasets_dir / source).glob("*.csv"):
            (folder / path.name).symlink_to(path)
    (folder / "dev").symlink_to(REPO / "dev")
    return folder


#: Blocks every test run keeps (the quickstart's main job and the paper's numbers); the
#: rest are a sweep, run by CI with ``./dev test --sweeps``.
DEFAULT_RUN = (["./dev audit"], ["./dev safetywashing audit --dataset paper"])


def test_the_readme_has_examples() -> None:
    assert len(COMMANDS) >= 6
    assert all(block in BLOCKS for block in DEFAULT_RUN)
    assert all(c.startswith("./dev ") for c in COMMANDS), COMMANDS


@pytest.mark.slow
@pytest.mark.parametrize(
    "block",
    [
        pytest.param(b, id=b[0][:60]) if b in DEFAULT_RUN
        else pytest.param(b, id=b[0][:60], marks=pytest.mark.sweep)
        for b in BLOCKS
    ],
)  # fmt: skip
def test_every_console_example_runs(block: list[str], user_folder: Path) -> None:
    env = {**os.environ, "COLUMNS": "100"}
    for command in block:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=user_folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
        assert "Traceback" not in done.stderr
