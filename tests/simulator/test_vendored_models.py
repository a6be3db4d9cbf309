"""The simulator reads Amazon's models unmodified: every file matches its upstream blob."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

MODELS = Path(__file__).resolve().parents[2] / "simulator" / "models"


def _git_blob_sha1(path: Path) -> str:
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_every_vendored_model_matches_its_upstream_blob() -> None:
    table = re.findall(
        r"^\| (\S+) \| \S+ \| ([0-9a-f]{40}) \|", (MODELS / "README.md").read_text(), re.M
    )
    assert len(table) == 10
    for name, sha in table:
        assert _git_blob_sha1(MODELS / name) == sha, name
