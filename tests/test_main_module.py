"""``python -m serviceflow`` is the ``serviceflow`` command; ``import serviceflow`` stays light."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, timeout=60
    )


def test_python_m_serviceflow_prints_the_version() -> None:
    done = run("-m", "serviceflow", "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"serviceflow, version {version('serviceflow')}"
    assert done.stderr == ""


def test_importing_serviceflow_loads_neither_the_main_module_nor_the_cli() -> None:
    done = run("-c", "import sys, serviceflow; print('\\n'.join(sorted(sys.modules)))")
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "serviceflow" in loaded
    assert not loaded & {"serviceflow.__main__", "serviceflow.cli", "click", "rich"}
