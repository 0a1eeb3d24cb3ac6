"""The app's settings, read from a TOML config file: for now, the key map.

Where: ``$RATER_CONFIG``, else ``$XDG_CONFIG_HOME/rater/config.toml``, else
``~/.config/rater/config.toml``. A missing file means the defaults.

    [keys]
    save_next = "enter"          # binding id = key, or several keys "enter,ctrl+s"
    not_applicable = "0,minus"
    flag_unsure = "x"

Binding ids are listed on the help screen (F1). A mistake in the file is
reported in the app and the default keys stay in use; it never stops the
app from starting.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> comma-separated keys, overriding the defaults."""
    problems: tuple[str, ...] = ()
    """What was wrong with the config file, shown to the rater as a notification."""
    path: Path | None = None
    """The file the settings came from, if any."""


def config_path() -> Path:
    if os.environ.get("RATER_CONFIG"):
        return Path(os.environ["RATER_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "rater" / "config.toml"


def load_settings(path: Path | None = None,
                  known_ids: Callable[[], set[str]] | None = None) -> Settings:
    """Settings from ``path`` (default: ``config_path()``); problems are collected, not raised.

    ``known_ids`` lists the binding ids to check keys against; it is only called when a
    config file exists, since collecting them imports every screen.
    """
    path = path or config_path()
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return Settings(problems=(f"{path}: not read ({exc}); using the default keys",), path=path)
    keys = raw.get("keys", {})
    problems: list[str] = []
    keymap: dict[str, str] = {}
    known = known_ids() if known_ids else None
    if not isinstance(keys, dict):
        return Settings(problems=(f"{path}: [keys] must be a table of binding-id = \"key\"",), path=path)
    for binding_id, value in keys.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{path}: keys.{binding_id} must be a key name such as \"x\" or \"ctrl+s\"")
        elif known is not None and binding_id not in known:
            problems.append(f"{path}: keys.{binding_id} is not a binding id (see the help screen, F1)")
        else:
            keymap[binding_id] = value.strip()
    return Settings(keymap=keymap, problems=tuple(problems), path=path)
