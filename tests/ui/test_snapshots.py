"""SVG snapshots of the main screens at a fixed terminal size (pytest-textual-snapshot).

Regenerate after an intended change with `pytest tests/ui --snapshot-update`, and look at
the new SVGs before committing them.
"""

from __future__ import annotations

from rater.ui.screens.rating import RatingScreen


def test_rating_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(100, 32))


def test_rating_screen_80x24(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["4", "3"])


def test_rating_screen_160x48(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(160, 48), press=["4", "3"])


def test_help_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(100, 32), press=["f1"])


def test_sibling_view(snap_compare, make_app):
    async def open_a1(pilot):
        screen = pilot.app.screen
        assert isinstance(screen, RatingScreen)
        s = screen.session
        a1 = next(r for r in s.queue.order if s.open(r, remember=False).response_id == "a1")
        screen.show_answer(s.open(a1))
        await pilot.press("v")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 32), run_before=open_a1)


def test_failure_mode_checklist(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(100, 32), press=["f", "down", "space"])
