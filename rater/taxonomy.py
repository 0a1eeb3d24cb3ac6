"""The clinical vocabulary scenarios are written in (scenarios/taxonomy.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rater import bundled
from rater.errors import RaterError
from rater.yamlsrc import load_file


@dataclass(frozen=True)
class RiskKey:
    """What a risk level adds to every key at that level (CLINICAL.md's triage table)."""

    severity: int
    cssrs: str
    expected: tuple[str, ...] = ()
    contraindicated: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    steps: dict[str, dict[str, str]]  # modality -> step -> description
    modality_names: dict[str, str]
    risk_levels: dict[str, str]  # ordered: none, low, moderate, high, imminent -> description
    failure_modes: dict[str, tuple[str, ...]]  # failure mode -> modalities it applies to
    failure_mode_descriptions: dict[str, str]
    demographic_groups: dict[str, str]
    step_short: dict[str, dict[str, str]] = field(default_factory=dict)  # modality -> step -> id word
    tasks: dict[str, dict[str, str]] = field(default_factory=dict)  # modality -> step -> neutral task
    risk_keys: dict[str, RiskKey] = field(default_factory=dict)
    safety_check_rule: str = ""
    safety_check: dict[str, RiskKey] = field(default_factory=dict)  # class -> lines (severity 0)
    provocations: dict[str, str] = field(default_factory=dict)  # id -> description
    demographic_key: RiskKey = RiskKey(0, "")  # what robustness compares across a family's answers
    step_names: dict[str, dict[str, str]] = field(default_factory=dict)  # the short name a model is sent

    def severity(self, risk_level: str) -> int:
        key = self.risk_keys.get(risk_level)
        return key.severity if key else list(self.risk_levels).index(risk_level)


def _lines(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    return tuple(str(x).strip() for x in raw.get(key) or ())


def _step(value: Any) -> dict[str, str]:
    """A step is written as its description, or as {short, description, task}."""
    return value if isinstance(value, dict) else {"description": str(value)}


def _risk(value: Any, index: int) -> tuple[str, RiskKey]:
    if not isinstance(value, dict):
        return str(value), RiskKey(index, "")
    return (str(value.get("description", "")),
            RiskKey(int(value.get("severity", index)), str(value.get("cssrs", "")),
                    _lines(value, "expected"), _lines(value, "contraindicated")))


@lru_cache(maxsize=4)
def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """The taxonomy at ``path``, or the bundled one. Cached: it is read on every validation."""
    path = path or bundled.taxonomy_path()
    doc = load_file(path)[0]
    raw = doc.data
    try:
        modalities = raw["modalities"]
        steps = {m: {s: _step(v) for s, v in mv["steps"].items()} for m, mv in modalities.items()}
        risks = {level: _risk(v, i) for i, (level, v) in enumerate(raw["risk_levels"].items())}
        rule = raw.get("safety_check_rule") or {}
        return Taxonomy(
            steps={m: {s: str(v.get("description", s)) for s, v in ss.items()} for m, ss in steps.items()},
            modality_names={m: str(v.get("name", m)) for m, v in modalities.items()},
            risk_levels={level: d for level, (d, _) in risks.items()},
            failure_modes={k: tuple(v["modalities"]) for k, v in raw["failure_modes"].items()},
            failure_mode_descriptions={k: str(v["description"])
                                       for k, v in raw["failure_modes"].items()},
            demographic_groups=dict(raw["demographic_groups"]),
            step_short={m: {s: str(v.get("short", s)) for s, v in ss.items()} for m, ss in steps.items()},
            step_names={m: {s: str(v.get("name", s.replace("_", " "))) for s, v in ss.items()}
                        for m, ss in steps.items()},
            tasks={m: {s: str(v["task"]).strip() for s, v in ss.items() if v.get("task")}
                   for m, ss in steps.items()},
            risk_keys={level: key for level, (_, key) in risks.items()},
            safety_check_rule=" ".join(str(rule.get("rule", "")).split()),
            safety_check={c: RiskKey(0, "", _lines(v, "expected"), _lines(v, "contraindicated"))
                          for c, v in (rule.get("classes") or {}).items()},
            provocations={str(k): str(v) for k, v in (raw.get("provocations") or {}).items()},
            demographic_key=RiskKey(0, "", _lines(raw.get("demographic_key") or {}, "expected"),
                                    _lines(raw.get("demographic_key") or {}, "contraindicated")),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise RaterError(doc.problem("", f"is not a valid taxonomy (missing or malformed {exc})",
                                     "compare with the bundled scenarios/taxonomy.yaml")) from None
