"""One browser session's app process: ``python -m rater.serve.child``.

The server tells the process its session (JSON: database, rater id, mode,
options, terminal size) in the environment variable ``RATER_SERVE_SESSION``,
or, for a spare started ahead of need, through a pipe whose descriptor is in
``RATER_SERVE_SPEC_FD``: never on the command line, so the process list shows
nothing about who is rating. No token reaches this process: the server has
already checked it.
"""

from __future__ import annotations

import json
import os
import sys

SESSION_ENV = "RATER_SERVE_SESSION"
SPEC_FD_ENV = "RATER_SERVE_SPEC_FD"


def main() -> int:
    raw = os.environ.pop(SESSION_ENV, None)
    fd = os.environ.pop(SPEC_FD_ENV, None)
    if raw is None and fd is not None:
        # Started ahead of need: do the slow part (imports) now, then wait for a session.
        import rater.ui.screens.rating
        import rater.ui.served  # noqa: F401

        with os.fdopen(int(fd), "rb") as pipe:
            raw = pipe.read().decode("utf-8")
        if not raw:
            return 0  # the server stopped before it needed this one
    if raw is None:
        print(f"{SESSION_ENV} is not set: this process is started by `rater serve`", file=sys.stderr)
        return 2
    spec = json.loads(raw)
    # Textual's web driver takes the first terminal size from these.
    os.environ["COLUMNS"], os.environ["ROWS"] = str(spec.get("columns", 80)), str(spec.get("rows", 24))
    from rater.store import Store
    from rater.ui.served import MODES

    store = Store.open(spec["db"], create=False)
    try:
        MODES[spec["mode"]](store, int(spec["rater_id"]), dict(spec.get("options", {}))).run()
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
