"""The checked list of crisis resources (scenarios/crisis_resources.yaml), and who it applies to.

A wrong or invented crisis number is itself a harm, so neither the judges
nor the clinicians should have to guess: the judges get this list in the
hallucination part of their prompt, and the rating screen shows the entries
for the scenario's country. Entries that cannot be verified from a primary
source are kept out of the file (its header says so).

Countries are matched by ISO code or by the names the file lists (case
ignored); a country that is not known, or has no entry of its own, gets the
``"*"`` entries (findahelpline.com).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rater import bundled
from rater.errors import Problem, RaterError
from rater.yamlsrc import Located, load_file

CHANNELS = ("call", "text", "call or text", "website")
FIELDS = ("country", "service", "contact", "channel", "purpose", "source", "checked")
ANY = "*"


@dataclass(frozen=True)
class Resource:
    country: str          # ISO 3166-1 alpha-2, "EU", or "*" (any country)
    service: str
    contact: str
    channel: str
    purpose: str
    source: str
    checked: str          # YYYY-MM-DD

    def line(self) -> str:
        """One line as a person reads it: "US · 988 Suicide & Crisis Lifeline: 988 (call or text) - ..."."""
        where = "any country" if self.country == ANY else self.country
        return f"{where} · {self.service}: {self.contact} ({self.channel}) - {self.purpose}"


@dataclass(frozen=True)
class CrisisResources:
    resources: tuple[Resource, ...]
    names: dict[str, frozenset[str]]   # a name as written (lower case) -> the codes it belongs to
    path: str

    def codes(self, country: str | None) -> frozenset[str]:
        """The codes a scenario's country matches (its own and a region's); empty if unknown."""
        if not country or not country.strip():
            return frozenset()
        key = country.strip().lower()
        return self.names.get(key, frozenset({country.strip().upper()}))

    def for_country(self, country: str | None) -> list[Resource]:
        """The entries for ``country``; with none of its own (or no country), the "*" entries."""
        codes = self.codes(country)
        own = [r for r in self.resources if r.country in codes]
        return own if own else [r for r in self.resources if r.country == ANY]

    def prompt_text(self) -> str:
        """The whole list, one entry a line, as the judges read it."""
        return "\n".join(f"- {r.line()}" for r in self.resources)


def _entry(doc: Located, i: int, raw: Any, problems: list[Problem]) -> Resource | None:
    at = f"resources[{i}]"
    if not isinstance(raw, dict):
        problems.append(doc.problem(at, "must be a mapping with " + ", ".join(FIELDS)))
        return None
    for key in sorted(set(raw) - set(FIELDS)):
        problems.append(doc.problem(f"{at}.{key}", "is not a crisis resource field",
                                    f"use only: {', '.join(FIELDS)}"))
    values: dict[str, str] = {}
    for key in FIELDS:
        value = raw.get(key)
        if key == "checked" and isinstance(value, dt.date):
            value = value.isoformat()
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(doc.problem(f"{at}.{key}" if key in raw else at, f"is missing '{key}'",
                                        "every entry needs all of: " + ", ".join(FIELDS)))
            continue
        if not isinstance(value, str | int):
            problems.append(doc.problem(f"{at}.{key}", f"{value!r} is not text"))
            continue
        values[key] = str(value).strip()
    if len(values) < len(FIELDS):
        return None
    ok = True
    if values["channel"] not in CHANNELS:
        problems.append(doc.problem(f"{at}.channel", f"{values['channel']!r} is not a channel",
                                    f"use one of: {', '.join(CHANNELS)}"))
        ok = False
    if not values["source"].startswith("https://"):
        problems.append(doc.problem(f"{at}.source", "must be the primary source's https:// address",
                                    "an entry without a checkable source stays out of the list"))
        ok = False
    try:
        dt.date.fromisoformat(values["checked"])
    except ValueError:
        problems.append(doc.problem(f"{at}.checked", f"{values['checked']!r} is not a date",
                                    "write the date it was checked as YYYY-MM-DD"))
        ok = False
    country = values["country"]
    if country != ANY and not (len(country) == 2 and country.isalpha() and country.isupper()):
        problems.append(doc.problem(f"{at}.country", f"{country!r} is not a country code",
                                    'use an ISO 3166-1 alpha-2 code (US, GB), "EU" or "*"'))
        ok = False
    return Resource(**values) if ok else None


def parse(doc: Located) -> CrisisResources:
    raw = doc.data
    problems: list[Problem] = []
    if not isinstance(raw, dict) or not isinstance(raw.get("resources"), list) or not raw["resources"]:
        raise RaterError(doc.problem("resources", "must be a non-empty list of crisis resources"))
    for key in sorted(set(raw) - {"version", "countries", "resources"}):
        problems.append(doc.problem(key, "is not a crisis resources field",
                                    "use only: version, countries, resources"))
    names: dict[str, set[str]] = {}
    countries = raw.get("countries") or {}
    if not isinstance(countries, dict):
        problems.append(doc.problem("countries", "must map a country code to the names it goes by"))
        countries = {}
    for code, aliases in countries.items():
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            problems.append(doc.problem(f"countries.{code}", "must be a list of names"))
            continue
        for name in [str(code), *aliases]:
            names.setdefault(name.strip().lower(), set()).add(str(code))
    resources = [r for i, e in enumerate(raw["resources"]) if (r := _entry(doc, i, e, problems))]
    if not any(r.country == ANY for r in resources) and not problems:
        problems.append(doc.problem("resources", 'has no entry for country "*"',
                                    "add findahelpline.com (or another checked directory) for unknown "
                                    "countries"))
    if problems:
        raise RaterError(problems)
    for r in resources:
        names.setdefault(r.country.lower(), set()).add(r.country)
    return CrisisResources(tuple(resources), {k: frozenset(v) for k, v in names.items()}, doc.file)


@lru_cache(maxsize=4)
def load_resources(path: Path | None = None) -> CrisisResources:
    """The list at ``path``, or the bundled one; every problem named with its line and field."""
    path = path or bundled.data_dir() / "crisis_resources.yaml"
    if not path.exists():
        raise RaterError(Problem("crisis resources file not found", str(path),
                                 fix="restore scenarios/crisis_resources.yaml from the release"))
    docs = load_file(path)
    if len(docs) != 1:
        raise RaterError(Problem("must hold exactly one YAML document", str(path), 1))
    return parse(docs[0])
