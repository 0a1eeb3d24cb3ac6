"""Narrative files: one patient × protocol steps × provocations, expanded into scenarios.

A narrative file (``scenarios/pe/*.yaml``, ``scenarios/cbt/*.yaml``) holds a
patient profile and one family per protocol step: the conversation so far and
3-5 members, each the patient's latest message carrying one provocation. The
key of each member comes from the provocation library (rater.provocations);
the task from taxonomy.yaml (one neutral text per modality and step). A
family with a ``demographic`` block is a template with ``{slot}``s rendered
once for its base values and once per variant, so variants differ in the
cues and nothing else, by construction. The format is in scenarios/README.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rater.errors import Problem, RaterError
from rater.provocations import Library, load_library
from rater.scenarios import Scenario, Turn, leak_problems, parse_turns
from rater.taxonomy import Taxonomy
from rater.yamlsrc import Located

SLOT = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_NARRATIVE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
_LABEL = re.compile(r"^[a-z][a-z0-9_]*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
FIELDS = ("narrative", "modality", "country", "patient_profile", "families")
FAMILY_FIELDS = ("step", "conversation", "members", "demographic")
MEMBER_FIELDS = ("provocation", "patient_message", "notes", "expected_extra", "contraindicated_extra")
TURNS = (2, 8)
MEMBERS = (2, 6)
VARIANTS = (3, 5)  # group variants, not counting the one control
MAX_EXTRA = 2
Demographic = tuple[str, dict[str, str], list[tuple[str, dict[str, str]]]]  # group, base cues, variants


def render(text: str, cues: Mapping[str, str]) -> str:
    """``text`` with every ``{slot}`` replaced by its cue (the one rendering rule, also for exports)."""
    return SLOT.sub(lambda m: cues[m.group(1)], text)


def render_template(template: Mapping[str, Any], cues: Mapping[str, str]) -> dict[str, Any]:
    """A demographic template (profile, conversation, message) rendered with one variant's cues."""
    return {"patient_profile": render(template["patient_profile"], cues),
            "conversation": [{"role": t["role"], "text": render(t["text"], cues)}
                             for t in template["conversation"]],
            "patient_message": render(template["patient_message"], cues)}


def is_narrative(doc: Located) -> bool:
    return isinstance(doc.data, dict) and "narrative" in doc.data


def _text(doc: Located, raw: Any, key: str, at: str, problems: list[Problem]) -> str:
    value = raw.get(key) if isinstance(raw, dict) else None
    if not isinstance(value, str) or not value.strip():
        problems.append(doc.problem(f"{at}{key}", "must be non-empty text"))
        return ""
    return value.strip()


def _unknown(doc: Located, raw: dict[str, Any], allowed: tuple[str, ...], at: str,
             problems: list[Problem]) -> None:
    for key in sorted(set(raw) - set(allowed)):
        problems.append(doc.problem(f"{at}{key}", "is not a field here",
                                    f"check the spelling; fields are {', '.join(allowed)}"))


def _extras(doc: Located, raw: dict[str, Any], key: str, at: str, problems: list[Problem]
            ) -> tuple[str, ...]:
    value = raw.get(key) or []
    if (not isinstance(value, list) or len(value) > MAX_EXTRA
            or not all(isinstance(x, str) and x.strip() for x in value)):
        problems.append(doc.problem(f"{at}{key}", f"must be a list of at most {MAX_EXTRA} text lines",
                                    "keep narrative-specific lines few; the library holds the key"))
        return ()
    return tuple(" ".join(x.split()) for x in value)


def _conversation(doc: Located, raw: Any, at: str, problems: list[Problem]) -> list[dict[str, str]]:
    if not isinstance(raw, list) or not TURNS[0] <= len(raw) <= TURNS[1]:
        problems.append(doc.problem(at, f"must be a list of {TURNS[0]}-{TURNS[1]} turns (role, text)",
                                    "write '- role: therapist' then 'text: ...', oldest first"))
        return []
    return [{"role": t.role, "text": t.text} for t in parse_turns(doc, raw, at, problems)]


def _cues(doc: Located, raw: Any, at: str, problems: list[Problem]) -> dict[str, str] | None:
    if not isinstance(raw, dict) or not raw:
        problems.append(doc.problem(at, "must map slot names to their text",
                                    "e.g. {name: Maria, cue: \"She works as a dental hygienist.\"}"))
        return None
    out: dict[str, str] = {}
    for k, v in raw.items():
        if not isinstance(k, str) or not SLOT.fullmatch("{" + k + "}"):
            problems.append(doc.problem(f"{at}.{k}", f"{k!r} is not a slot name",
                                        "use lowercase letters, digits and _"))
        elif isinstance(v, bool) or not isinstance(v, str | int | float) or not str(v).strip():
            problems.append(doc.problem(f"{at}.{k}", "must be non-empty text"))
        else:
            out[k] = str(v).strip()
    return out


def _demographic(doc: Located, raw: Any, at: str, tax: Taxonomy, used: set[str],
                 problems: list[Problem]) -> Demographic | None:
    """(group, base cues, [(label, cues), ...]) of a demographic block, checked."""
    before = len(problems)
    if not isinstance(raw, dict) or set(raw) - {"group", "base", "variants"}:
        problems.append(doc.problem(at, "holds group, base and variants",
                                    "see scenarios/README.md, 'Demographic families'"))
        return None
    group = raw.get("group")
    if group not in tax.demographic_groups:
        problems.append(doc.problem(f"{at}.group", f"{group!r} is not a demographic group",
                                    f"use one of {', '.join(tax.demographic_groups)}"))
    base = _cues(doc, raw.get("base"), f"{at}.base", problems)
    if base is None:
        return None
    slots = set(base)
    if not used:
        problems.append(doc.problem(at, "no {slot} appears in the profile, conversation or messages",
                                    "put the cues that vary into slots such as {name} and {cue}"))
    for slot in sorted(used - slots):
        problems.append(doc.problem(f"{at}.base", f"has no value for the slot {{{slot}}} the texts use",
                                    f"add {slot}: ... to base and to every variant"))
    for slot in sorted(slots - used):
        problems.append(doc.problem(f"{at}.base.{slot}", "is a slot no text uses",
                                    f"use {{{slot}}} in the texts, or remove it"))
    variants = raw.get("variants")
    if not isinstance(variants, list):
        problems.append(doc.problem(f"{at}.variants", "must be a list of variants (label, cues)"))
        return None
    out: list[tuple[str, dict[str, str]]] = []
    controls = 0
    seen: dict[str, int] = {}
    for i, v in enumerate(variants):
        vat = f"{at}.variants[{i}]"
        if not isinstance(v, dict) or set(v) - {"label", "cues", "control"}:
            problems.append(doc.problem(vat, "a variant holds label, cues and (once) control: true"))
            continue
        label = v.get("label")
        if not isinstance(label, str) or not _LABEL.match(label) or label == "base":
            problems.append(doc.problem(f"{vat}.label", f"{label!r} is not a variant label",
                                        "a lowercase word (letters, digits, _), not 'base'"))
            continue
        if label in seen:
            problems.append(doc.problem(f"{vat}.label", f"{label!r} is already variant {seen[label]}",
                                        "give every variant its own label"))
        seen[label] = i
        control = v.get("control", False)
        if control is not True and control is not False:
            problems.append(doc.problem(f"{vat}.control", "must be true or false"))
        controls += control is True
        cues = _cues(doc, v.get("cues"), f"{vat}.cues", problems)
        if cues is None:
            continue
        if set(cues) != slots:
            missing, extra = sorted(slots - set(cues)), sorted(set(cues) - slots)
            problems.append(doc.problem(f"{vat}.cues", "must define exactly the base's slots"
                                        + (f"; missing {', '.join(missing)}" if missing else "")
                                        + (f"; not in base: {', '.join(extra)}" if extra else ""),
                                        "every variant gives a value for every slot, and no other"))
        elif cues == base:
            problems.append(doc.problem(f"{vat}.cues", "are the same as the base values",
                                        "a variant changes at least one cue"))
        out.append((label, cues))
    if controls != 1:
        problems.append(doc.problem(f"{at}.variants", f"has {controls} control variants, needs exactly one",
                                    "mark one variant with a clinically irrelevant change 'control: true'"))
    groups = len(variants) - controls
    if not VARIANTS[0] <= groups <= VARIANTS[1]:
        problems.append(doc.problem(f"{at}.variants", f"has {groups} group variants",
                                    f"write {VARIANTS[0]}-{VARIANTS[1]} group variants and one control"))
    if len(problems) > before:
        return None
    return str(group), base, out


def parse_narrative(doc: Located, tax: Taxonomy) -> tuple[list[Scenario], list[Problem]]:
    """Validate one narrative document and expand it into its scenarios."""
    problems: list[Problem] = []
    raw = doc.data
    _unknown(doc, raw, FIELDS, "", problems)
    for key in FIELDS:
        if key not in raw:
            problems.append(doc.problem(key, "is missing", "every narrative file needs this field"))
    name, modality = raw.get("narrative"), raw.get("modality")
    if modality not in tax.steps:
        problems.append(doc.problem("modality", f"{modality!r} is not a modality",
                                    f"use one of {', '.join(tax.steps)}"))
        return [], problems
    if not isinstance(name, str) or not _NARRATIVE.match(name) or not name.startswith(f"{modality}-"):
        problems.append(doc.problem("narrative", f"{name!r} is not a narrative name",
                                    f"lowercase a-z, 0-9 and -, starting with '{modality}-'"))
        return [], problems
    country = raw.get("country")
    if not isinstance(country, str) or not (country == "unknown" or _COUNTRY.match(country)):
        problems.append(doc.problem("country", f"{country!r} is not a country code",
                                    "two capital letters (US, UK, CA, AU, IE, NZ...) or unknown"))
    profile = _text(doc, raw, "patient_profile", "", problems)
    try:
        library = load_library(str(modality))
    except RaterError as exc:
        return [], problems + exc.problems
    families = raw.get("families")
    if not isinstance(families, list) or not families:
        problems.append(doc.problem("families", "must be a list of families, one per protocol step"))
        return [], problems
    out: list[Scenario] = []
    steps_seen: dict[str, int] = {}
    for fi, fam in enumerate(families):
        at = f"families[{fi}]"
        if not isinstance(fam, dict):
            problems.append(doc.problem(at, "a family is a mapping: step, conversation, members"))
            continue
        _unknown(doc, fam, FAMILY_FIELDS, f"{at}.", problems)
        step = fam.get("step")
        if step not in tax.steps[modality]:
            problems.append(doc.problem(f"{at}.step", f"{step!r} is not a {modality} protocol step",
                                        f"use one of {', '.join(tax.steps[modality])}"))
            continue
        if step in steps_seen:
            problems.append(doc.problem(f"{at}.step", f"{step} already has family {steps_seen[step]}",
                                        "one family per protocol step in a narrative"))
        steps_seen[step] = fi
        out.extend(_family(doc, fam, at, str(name), str(modality), str(step), profile,
                           None if country == "unknown" else str(country), tax, library, problems))
    return out, problems


def _family(doc: Located, fam: dict[str, Any], at: str, name: str, modality: str, step: str,
            profile: str, country: str | None, tax: Taxonomy, library: Library,
            problems: list[Problem]) -> list[Scenario]:
    conversation = _conversation(doc, fam.get("conversation"), f"{at}.conversation", problems)
    members = fam.get("members")
    if not isinstance(members, list) or not MEMBERS[0] <= len(members) <= MEMBERS[1]:
        problems.append(doc.problem(f"{at}.members", f"must be a list of {MEMBERS[0]}-{MEMBERS[1]} members",
                                    "each member: provocation and patient_message"))
        return []
    short = tax.step_short[modality][step]
    family_id = f"{name}-{short}"
    task = tax.tasks.get(modality, {}).get(step, "")
    parsed: list[tuple[int, str, str, str | None, tuple[str, ...], tuple[str, ...]]] = []
    seen: dict[str, int] = {}
    for mi, m in enumerate(members):
        mat = f"{at}.members[{mi}]"
        if not isinstance(m, dict):
            problems.append(doc.problem(mat, "a member is a mapping: provocation, patient_message"))
            continue
        _unknown(doc, m, MEMBER_FIELDS, f"{mat}.", problems)
        pid = m.get("provocation")
        if not isinstance(pid, str) or (step, pid) not in library.keys:
            allowed = sorted(p for s, p in library.keys if s == step)
            problems.append(doc.problem(f"{mat}.provocation",
                                        f"{pid!r} has no key at {modality} step {step}",
                                        f"use one of {', '.join(allowed)} "
                                        f"(scenarios/provocations/{modality}.yaml)"))
            continue
        if pid in seen:
            problems.append(doc.problem(f"{mat}.provocation", f"{pid} is already member {seen[pid]}",
                                        "each member of a family carries a different provocation"))
            continue
        seen[pid] = mi
        message = _text(doc, m, "patient_message", f"{mat}.", problems)
        notes = m.get("notes")
        if notes is not None and not isinstance(notes, str):
            problems.append(doc.problem(f"{mat}.notes", "must be text"))
            notes = None
        parsed.append((mi, pid, message, notes.strip() if notes else None,
                       _extras(doc, m, "expected_extra", f"{mat}.", problems),
                       _extras(doc, m, "contraindicated_extra", f"{mat}.", problems)))
    used = set(SLOT.findall(profile)) | {s for t in conversation for s in SLOT.findall(t["text"])} \
        | {s for p in parsed for s in SLOT.findall(p[2])}
    demo = None
    if "demographic" in fam:
        demo = _demographic(doc, fam["demographic"], f"{at}.demographic", tax, used, problems)
        if demo is None:
            return []
    elif used:
        problems.append(doc.problem(at, f"uses {{{sorted(used)[0]}}} but has no demographic block",
                                    "remove the placeholder, or make this a demographic family"))
        return []
    out: list[Scenario] = []
    for mi, pid, message, notes, extra_exp, extra_contra in parsed:
        mat = f"{at}.members[{mi}]"
        key = library.keys[(step, pid)]
        base_id = f"{family_id}-{pid}"
        common: dict[str, Any] = dict(
            modality=modality, step=step, severity=key.severity, risk_level=key.risk_level,
            task=task, later=key.later, notes=notes, family=family_id, trap=key.trap,
            country=country, provocation=pid, source=f"{doc.file}:{doc.line_of(mat)}")
        if demo is None:
            s = Scenario(id=base_id, title=f"{name} · {step} · {pid}", patient_profile=profile,
                         patient_message=message, conversation=tuple(Turn(**t) for t in conversation),
                         expected=key.expected + extra_exp,
                         contraindicated=key.contraindicated + extra_contra,
                         failure_modes=key.provokes, provokes=key.provokes, **common)
            problems.extend(leak_problems(s, doc, mat))
            out.append(s)
            continue
        group, base_cues, variants = demo
        provokes = tuple(dict.fromkeys((*key.provokes[:2], "demographic_shift")))
        template = {"patient_profile": profile, "conversation": conversation, "patient_message": message}
        # The demographic lines (taxonomy.yaml demographic_key) compare answers across the family;
        # one reply cannot show them, so they stay out of the per-reply key.
        expected = key.expected + extra_exp
        contra = key.contraindicated + extra_contra
        for label, cues in [("base", base_cues), *variants]:
            texts = render_template(template, cues)
            variant = label != "base"
            s = Scenario(
                id=f"{base_id}-{label}" if variant else base_id,
                title=f"{name} · {step} · {pid}" + (f" · {group} {label}" if variant else ""),
                patient_profile=texts["patient_profile"], patient_message=texts["patient_message"],
                conversation=tuple(Turn(**t) for t in texts["conversation"]),
                expected=expected, contraindicated=contra, failure_modes=provokes, provokes=provokes,
                base_id=base_id if variant else None, demographic_group=group if variant else None,
                demographics={group: label} if variant else {}, template=template,
                cues=dict(cues), **common)
            problems.extend(leak_problems(s, doc, mat))
            out.append(s)
    return out
