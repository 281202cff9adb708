"""`kustomize build` of an overlay, as the deploy tests read it (the binary `bash tests/run.sh`
builds into .maag/cache/bin)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml


def kustomize() -> str:
    found = shutil.which("kustomize")
    if found is None:
        pytest.fail(
            "kustomize is not on PATH: `bash tests/run.sh` builds it into .maag/cache/bin "
            "(go install sigs.k8s.io/kustomize/kustomize/v5@v5.7.1)"
        )
    return found


def build(directory: Path) -> list[dict[str, Any]]:
    """The objects `kustomize build <directory>` gives."""
    out = subprocess.run(
        [kustomize(), "build", str(directory)], capture_output=True, text=True, check=True
    )
    return [d for d in yaml.safe_load_all(out.stdout) if d]
