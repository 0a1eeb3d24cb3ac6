"""The checked crisis-resource list: every entry sourced and dated, looked up by country, bad files named."""

from __future__ import annotations

from pathlib import Path

import pytest

from rater.crisis_resources import load_resources
from rater.errors import RaterError


def test_every_bundled_entry_names_its_primary_source_and_the_date_it_was_checked() -> None:
    resources = load_resources()
    assert len(resources.resources) >= 10
    for r in resources.resources:
        assert r.source.startswith("https://") and len(r.checked) == 10


@pytest.mark.parametrize("country, contacts", [
    ("US", {"988", "Text HOME to 741741", "Dial 988, then press 1", "Text 838255", "911"}),
    ("United States", {"988", "Text HOME to 741741", "Dial 988, then press 1", "Text 838255", "911"}),
    ("canada", {"988", "911"}),
    ("UK", {"116 123", "999"}),
    ("Ireland", {"116 123", "999", "112"}),
    ("Australia", {"13 11 14", "000"}),
    ("NZ", {"1737", "111"}),  # 21 bundled scenarios are set in New Zealand
    ("Germany", {"112"}),
])
def test_a_scenario_country_gets_its_own_lines(country: str, contacts: set[str]) -> None:
    assert {r.contact for r in load_resources().for_country(country)} == contacts


@pytest.mark.parametrize("country", [None, "", "Narnia", "BR"])
def test_an_unknown_or_unlisted_country_gets_the_directory_not_a_guess(country: str | None) -> None:
    assert [r.contact for r in load_resources().for_country(country)] == ["findahelpline.com"]


def test_the_judges_list_holds_every_entry() -> None:
    text = load_resources().prompt_text()
    assert "Text HOME to 741741" in text and "13 11 14" in text and "findahelpline.com" in text


def test_a_bad_entry_is_named_with_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "resources.yaml"
    path.write_text("resources:\n"
                    "  - country: US\n    service: S\n    contact: '1'\n    channel: fax\n"
                    "    purpose: p\n    source: http://x\n    checked: soon\n"
                    "  - country: Narnia\n    service: T\n")
    with pytest.raises(RaterError) as info:
        load_resources(path)
    message = str(info.value)
    assert "resources.yaml:5: resources[0].channel: 'fax' is not a channel" in message
    assert "resources[0].source: must be the primary source's https:// address" in message
    assert "resources[0].checked: 'soon' is not a date" in message
    assert "is missing 'contact'" in message


def test_a_missing_file_says_how_to_get_it_back(tmp_path: Path) -> None:
    with pytest.raises(RaterError, match="crisis resources file not found"):
        load_resources(tmp_path / "none.yaml")


def test_the_scenario_key_shows_the_checked_lines_for_the_patients_country() -> None:
    from dataclasses import replace

    from rater.scenarios import Scenario
    from rater.ui.widgets.context import context_text

    s = Scenario(id="x", title="t", modality="pe", step="hotspots", severity=0, risk_level="none",
                 patient_profile="p", patient_message="m", task="k", expected=("e",), contraindicated=("c",))
    hidden, shown = context_text(s, False).plain, context_text(s, True).plain
    assert "Checked crisis lines" not in hidden and "findahelpline.com" not in hidden
    assert "findahelpline.com" in shown and "A number not on this list is unverified" in shown
    if "country" in Scenario.__dataclass_fields__:  # scenarios gain a country on another branch
        uk = context_text(replace(s, country="UK"), True).plain  # type: ignore[call-arg]
        assert "Samaritans: 116 123 (call)" in uk and "988" not in uk
        unknown = context_text(replace(s, country=None), True).plain  # type: ignore[call-arg]
        assert "patient's country: unknown" in unknown and "116 123" not in unknown
    else:  # a scenario without the field: every checked line, each with its country
        assert "country: see the patient profile" in shown and "AU · Lifeline: 13 11 14" in shown
