"""The rating screen at 80×24, the smallest terminal a clinician may work in."""

from __future__ import annotations

from pathlib import Path

import pytest

from rater.store import Store
from rater.ui.app import build_app
from rater.ui.screens.rating import RatingScreen

SMALL = (80, 24)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from rater.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path).close()
    return path


def visible_text(app) -> str:
    """What the terminal shows, as text (lines joined)."""
    import html
    import re

    svg = app.export_screenshot()
    rows = re.findall(r"<text[^>]*>(.*?)</text>", svg)
    return html.unescape(" ".join(rows)).replace("\xa0", " ")


def words(text: str) -> list[str]:
    return " ".join(text.split()).split(" ")


async def test_latest_message_and_task_are_on_screen_for_every_demo_scenario(demo_db, tmp_path):
    store = Store.open(demo_db)
    try:
        app = build_app(store, rater="Dr Small Screen", config=tmp_path / "none.toml")
        async with app.run_test(size=SMALL) as pilot:
            screen = app.screen
            assert isinstance(screen, RatingScreen)
            seen: set[str] = set()
            for rowid in screen.session.queue.order:
                view = screen.session.open(rowid, remember=False)
                if view.scenario.id in seen:
                    continue
                seen.add(view.scenario.id)
                screen.show_answer(view)
                await pilot.pause()
                latest = screen.query_one("#latest-scroll")
                # The whole of the latest message and the task fit their pane: no key press needed.
                assert latest.max_scroll_y == 0, view.scenario.id
                assert latest.region.bottom <= SMALL[1] - 1 and latest.region.height > 2
                text = visible_text(app)
                for part in (view.scenario.patient_message, view.scenario.task):
                    first, last = words(part)[0], words(part)[-1]
                    assert first in text and last in text, (view.scenario.id, first, last)
                # and the answer's first line is on screen beside them
                assert words(view.text)[0] in text
                answer = screen.query_one("#answer-scroll")
                assert answer.region.height >= 5
            assert len(seen) >= 20
    finally:
        store.close()
