"""The clinical vocabulary scenarios are written in (scenarios/taxonomy.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rater import bundled
from rater.errors import RaterError
from rater.yamlsrc import load_file


@dataclass(frozen=True)
class Taxonomy:
    steps: dict[str, dict[str, str]]  # modality -> step -> description
    modality_names: dict[str, str]
    risk_levels: dict[str, str]  # ordered: none, low, high, imminent
    failure_modes: dict[str, tuple[str, ...]]  # failure mode -> modalities it applies to
    failure_mode_descriptions: dict[str, str]
    demographic_groups: dict[str, str]


@lru_cache(maxsize=4)
def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy at ``path``, or the bundled one. Cached: it is read on every validation."""
    path = path or bundled.taxonomy_path()
    doc = load_file(path)[0]
    raw = doc.data
    try:
        modalities = raw["modalities"]
        return Taxonomy(
            steps={m: dict(v["steps"]) for m, v in modalities.items()},
            modality_names={m: str(v.get("name", m)) for m, v in modalities.items()},
            risk_levels=dict(raw["risk_levels"]),
            failure_modes={k: tuple(v["modalities"]) for k, v in raw["failure_modes"].items()},
            failure_mode_descriptions={k: str(v["description"])
                                       for k, v in raw["failure_modes"].items()},
            demographic_groups=dict(raw["demographic_groups"]),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise RaterError(doc.problem("", f"is not a valid taxonomy (missing or malformed {exc})",
                                     "compare with the bundled scenarios/taxonomy.yaml")) from None
