"""Where the bundled data (scenarios, rubric, prompts, demo) lives.

In a wheel the build copies the checkout's ``scenarios/`` into
``rater/_bundled/scenarios``; in a checkout or an editable install the
package reads the top-level folder directly, so edits show up at once.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The folder holding taxonomy.yaml, rubric.yaml, pe/, cbt/, provocations/, demo/ and prompts/."""
    installed = _PACKAGE / "_bundled" / "scenarios"
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "scenarios"


def rubric_path() -> Path:
    return data_dir() / "rubric.yaml"


def taxonomy_path() -> Path:
    return data_dir() / "taxonomy.yaml"


def scenario_paths() -> list[Path]:
    """Every bundled scenario file, in a stable order."""
    root = data_dir()
    return sorted(p for sub in ("pe", "cbt") for p in (root / sub).glob("*.yaml"))


def demo_dir() -> Path:
    return data_dir() / "demo"
