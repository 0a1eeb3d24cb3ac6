"""`rater rate` starts light: nothing heavy is imported on its way to the first answer."""

from __future__ import annotations

import subprocess
import sys

from .conftest import make_db

HEAVY = ("pandas", "numpy", "sqlite_utils", "litellm", "scipy")


def test_rate_path_imports_nothing_heavy(tmp_path):
    db = make_db(tmp_path)
    code = (
        "import sys\n"
        "import rater.cli, rater.commands.rate\n"
        "from rater.store import Store\n"
        "from rater.ui.app import build_app\n"
        "from rater.ui.screens.rating import RatingScreen\n"
        "from rater.rating import RatingSession\n"
        f"store = Store.open({str(db)!r})\n"
        "app = build_app(store, rater='x')\n"
        "s = RatingSession(store, app.rater_id)\n"
        "s.open(s.start())\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
