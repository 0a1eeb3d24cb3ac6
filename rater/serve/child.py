"""One browser session's app process: ``python -m rater.serve.child``.

The server passes what the session is in the environment variable
``RATER_SERVE_SESSION`` (JSON: database, rater id, mode, options), never on
the command line, so the process list shows nothing about who is rating.
No token reaches this process: the server has already checked it.
"""

from __future__ import annotations

import json
import os
import sys

SESSION_ENV = "RATER_SERVE_SESSION"


def main() -> int:
    raw = os.environ.pop(SESSION_ENV, None)
    if raw is None:
        print(f"{SESSION_ENV} is not set: this process is started by `rater serve`", file=sys.stderr)
        return 2
    spec = json.loads(raw)
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
