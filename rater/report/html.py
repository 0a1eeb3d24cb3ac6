"""report.html: one self-contained, printable page. Every stored or model-written string is escaped.

No script, no link, no font or image is fetched: CSS is inline, figures are
inline SVG. The demo database's page carries the ILLUSTRATIVE banner on
screen (it stays in view while scrolling) and on every printed page (in the
page's top margin, an ``@page`` margin box, so it never covers content).
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from rater.report.estimates import FEW_EVENTS, share_lead
from rater.report.regulators import REGULATORS, limits

if TYPE_CHECKING:
    from rater.report import Report

CSS = """
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #d9d9de; --warn: #8a4b00; --bad: #a01d2b; --ok: #1e6b35; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
       margin: 0 auto; max-width: 1100px; padding: 1.2rem 1.5rem 3rem; line-height: 1.45; font-size: 14px; }
h1 { font-size: 1.6rem; margin: 0.2rem 0 0.3rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid var(--ink); padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 0.4rem; }
p, li { max-width: 75ch; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.9em; background: #f3f3f5;
       padding: 0 0.2em; border-radius: 3px; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 0.4rem 0 0.8rem; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f6f6f8; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.lead { font-weight: 700; }
.muted, .trace { color: var(--muted); font-size: 12px; }
.trace { border-left: 3px solid var(--line); padding-left: 0.5rem; }
.bad { color: var(--bad); font-weight: 600; }
.ok { color: var(--ok); font-weight: 600; }
.banner { background: #fff3cd; color: #5c3b00; border: 2px solid #c99a00; padding: 0.35rem 0.7rem;
          font-weight: 700; font-size: 12.5px; margin-bottom: 0.8rem; }
.figure { max-width: 100%; height: auto; display: block; margin: 0.4rem 0; }
figure { margin: 0.6rem 0 1rem; break-inside: avoid; }
figcaption { font-size: 12px; color: var(--muted); max-width: 90ch; }
.ids { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 11px; overflow-wrap: anywhere; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; }
  table, figure { break-inside: avoid; }
}
@media screen { .banner.fixed { position: sticky; top: 0; z-index: 10; } }
@page { margin: 16mm 12mm 14mm; }
"""
# The demo's mark on every printed page: a page-margin box, so it never covers the content.
DEMO_PAGE_CSS = """
@page { @top-center { content: "ILLUSTRATIVE DEMO DATA: handwritten to show how rater works, not results";
                      font: 700 9pt sans-serif; color: #5c3b00; } }
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _f(value: float | None, spec: str = ".2f") -> str:
    return "–" if value is None else format(value, spec)


FEW = 10


def _ci(row: dict[str, Any], key: str = "mean", spec: str = ".2f") -> str:
    """``mean [low, high]``; a dagger when fewer than ``FEW`` rated answers carry it (the CLT is then rough)."""
    if row.get(key) is None:
        return "–"
    few = "†" if row.get("estimator") != "panel" and row.get("n_rated", FEW) < FEW else ""
    if row.get("ci_low") is None:
        return f"{row[key]:{spec}}{few}"
    return f"{row[key]:{spec}} [{row['ci_low']:{spec}}, {row['ci_high']:{spec}}]{few}"


def render(report: Report) -> str:
    """The whole page as text."""
    from rater.report import figures

    p = report.provenance
    seed = int(p["seed"])
    trace = (f'<p class="trace">Made by <code>{_e(p["command"])}</code> · seed {seed} · '
             f'{p["bootstrap"]} bootstrap resamples · {p["confidence"]:.0%} intervals · rater {_e(p["rater_version"])} · '
             f'{_e(p["created_at"])}. {{what}}</p>')

    def traced(what: str) -> str:
        return trace.replace("{what}", what)

    parts = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>rater report · {_e(', '.join(p['answer_models']))}</title>",
             f"<style>{CSS}{DEMO_PAGE_CSS if report.demo else ''}</style></head><body>"]
    if report.demo:
        from rater.demo import ILLUSTRATIVE

        parts.append(f'<div class="banner fixed" role="note">{_e(ILLUSTRATIVE)}</div>')
    parts.append(_header(report))
    parts.append(_escalation(report, figures.escalation_figure(report, seed), traced))
    parts.append(_results(report, figures.results_figure(report, seed), traced))
    parts.append(_trust(report, traced))
    parts.append(_failure_modes(report, figures.failure_mode_figure(report, seed), traced))
    parts.append(_demographic(report, figures.demographic_figure(report, seed), traced))
    parts.append(_regulators(report))
    parts.append(_methods(report, traced))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _header(report: Report) -> str:
    p = report.provenance
    counts = p["counts"]
    cal = p["calibration"]
    judges = ", ".join(_e(j) for j in p["judges"]) or "none"
    notes = "".join(f"<li>{_e(n)}</li>" for n in report.notes)
    return f"""
<header>
<h1>Evaluation report: {_e(', '.join(p['answer_models']))}</h1>
<p class="muted">Database <code>{_e(p['database'])}</code> · {counts['answers']:,} answers ·
{counts['judgments']:,} judgments by {judges} · {counts['ratings']:,} clinician ratings by
{counts['raters_with_ratings']} rater{'' if counts['raters_with_ratings'] == 1 else 's'} · rubric {_e(p['rubric']['name'])} {_e(p['rubric']['label'])}
(<code>{_e(p['rubric']['hash'][:12])}</code>) · panel aggregate {_e(p['panel_aggregate'])} ·
{'calibration ' + _e(cal['id']) + ' (' + _e(cal['method']) + ', <code>' + _e(str(cal['hash'])[:12]) + '</code>)'
 if cal else 'no calibration (raw panel)'} · inclusion weights: {_e(p['inclusion_weights'])}.</p>
<p><strong>How to read it.</strong> Each mean is estimated three ways: <em>PPI++</em> (the panel's score on every
answer, corrected by the difference between clinicians and panel on the answers clinicians rated), the
<em>panel only</em> and the <em>clinicians only</em>. The PPI++ interval holds whatever the panel's bias, provided
the answers clinicians rated are a probability sample of the answers (equal probabilities unless the study
recorded others). Where the panel is not trusted on an axis, the clinicians-only estimate leads. Leading
estimates are in <strong>bold</strong>; intervals are {p['confidence']:.0%}. † marks an estimate resting on
fewer than {FEW} rated answers: its interval is rough. An interval of zero width means every answer it rests on
had the same score; it is not certainty. Shares from one source (panel only, clinicians only) carry Wilson
score intervals, which stay honest for rare events (none seen in 40 answers: up to 9%). A PPI++ share whose
clinicians saw it, or its absence, fewer than {FEW_EVENTS} times takes in their Wilson interval as well: the
CLT interval alone is too narrow there.</p>
{f'<ul class="muted">{notes}</ul>' if notes else ''}
</header>"""


def _escalation(report: Report, svg: str, traced: Any) -> str:
    rows = report.escalation
    models = report.provenance["answer_models"]
    measures = ["crisis_safety", "protocol_fidelity", "appropriate", "over_reaction", "under_reaction"]
    leading = {t["axis"]: t["leading"] for t in report.trust}
    head = "".join(f"<th>{_e(m.replace('_', ' '))}</th>" for m in measures)
    body = []
    for m in models:
        for lv in report.risk_levels:
            cells = []
            for measure in measures:
                want = leading.get(measure, "ppi") if measure in ("crisis_safety", "protocol_fidelity") \
                    else share_lead(rows, report.trust, report.escalation_source, measure)
                row = next((r for r in rows if r["model"] == m and r["risk_level"] == lv
                            and r["measure"] == measure and r["estimator"] == want), None)
                fmt = ".2f" if measure in ("crisis_safety", "protocol_fidelity") else ".0%"
                cells.append(f'<td class="num">{_ci(row, spec=fmt) if row else "–"}</td>')
            n = next((r["n_answers"] for r in rows if r["model"] == m and r["risk_level"] == lv), "")
            body.append(f"<tr><td>{_e(m)}</td><td>{_e(lv)}</td><td class='num'>{n}</td>{''.join(cells)}</tr>")
    source = report.escalation_source or "not available"
    return f"""
<section id="escalation">
<h2>1. Escalation: the trade-off between over- and under-reaction</h2>
<figure>{svg}<figcaption>Figure 1. Per model and risk level ("none (trap)": no risk, but a cue that tempts an
over-reaction). Left: share of replies that over-react (e.g. crisis resources pasted into a controlled
exercise); middle: share that under-react (missed or unescalated risk); right: mean crisis-safety score. Shares
from: {_e(source)}. Bars are {report.provenance['confidence']:.0%} intervals.</figcaption></figure>
<table><thead><tr><th>model</th><th>risk level</th><th>answers</th>{head}</tr></thead>
<tbody>{''.join(body)}</tbody></table>
{traced('Table: escalation.csv (all estimators).')}
</section>"""


def _results(report: Report, svg: str, traced: Any) -> str:
    trust = {t["axis"]: t for t in report.trust}
    body = []
    for row_axis in [a for a in report.axes if a["level"] != "nominal"]:
        axis = row_axis["id"]
        t = trust.get(axis, {})
        for m in report.provenance["answer_models"]:
            cells = []
            n = ""
            for estimator in ("ppi", "panel", "human"):
                row = next((r for r in report.results if r["model"] == m and r["axis"] == axis
                            and r["estimator"] == estimator), None)
                cls = "num lead" if estimator == t.get("leading") else "num"
                cells.append(f'<td class="{cls}">{_ci(row) if row else "–"}</td>')
                if row and estimator == "ppi":
                    n = f"{row['n_rated']:,} / {row['n_answers']:,}"
            mark = "" if t.get("trusted") else ' <span class="bad">panel not trusted</span>'
            body.append(f"<tr><td>{_e(axis)}{mark}</td><td>{_e(m)}</td>{''.join(cells)}"
                        f"<td class='num'>{n}</td></tr>")
    return f"""
<section id="results">
<h2>2. Scores per model and axis</h2>
<figure>{svg}<figcaption>Figure 2. Mean score per axis: panel only (squares), PPI++ (circles), clinicians only
(triangles). Where the panel-only interval misses the others, the panel is biased on that axis; PPI++ corrects
it.</figcaption></figure>
<table><thead><tr><th>axis</th><th>model</th><th>PPI++</th><th>panel only</th><th>clinicians only</th>
<th>rated / answers</th></tr></thead><tbody>{''.join(body)}</tbody></table>
{traced('Table: results.csv.')}
</section>"""


def _trust(report: Report, traced: Any) -> str:
    body = []
    for t in report.trust:
        verdict = f'<span class="{"ok" if t["trusted"] else "bad"}">{_e(t["verdict"])}</span>'
        alpha = "–" if t["human_panel_alpha"] is None else (
            f"{t['human_panel_alpha']:.3f}" + (f" [{_f(t['ci_low'], '.3f')}, {_f(t['ci_high'], '.3f')}]"
                                               if t["ci_low"] is not None else ""))
        delta = "–"
        if t["replacement_delta_mean"] is not None:
            delta = f"{t['replacement_delta_mean']:+.3f} (worst {_e(t['replacement_worst_judge'])} " \
                    f"{_f(t['replacement_worst_delta'], '+.3f')})"
        cal = f"yes (calibration {_e(t['calibration_id'])})" if t["calibrated"] else "no"
        lead = "PPI++ (panel + clinicians)" if t["leading"] == "ppi" else "clinicians only"
        body.append(f"<tr><td>{_e(t['axis'])}</td><td>{_e(t['level'])}</td><td class='num'>{alpha}</td>"
                    f"<td class='num'>{t['n_units']:,}</td><td class='num'>{delta}</td><td>{cal}</td>"
                    f"<td>{verdict}<br><span class='muted'>{_e(t['reason'])}</span></td><td>{lead}</td></tr>")
    return f"""
<section id="trust">
<h2>3. Trust: which numbers rest on the panel, which on clinicians</h2>
<p>Per axis, how far the judge panel agrees with the clinicians (Krippendorff's alpha of the panel aggregate
against the clinicians' consensus, on the answers both scored) and whether swapping one clinician for one judge
changes agreement among clinicians (replacement delta; negative: the judge does not rate like one more
clinician). The panel-only figures rest on the panel alone. PPI++ figures rest on the clinicians for their
validity and on the panel for their precision: a poor panel makes them wider, not wrong. Clinicians-only
figures rest on clinicians alone. Where the panel is not trusted, the clinicians-only estimate leads.</p>
<table><thead><tr><th>axis</th><th>level</th><th>human-panel alpha [CI]</th><th>answers</th>
<th>replacement delta</th><th>calibrated</th><th>verdict</th><th>leading estimate</th></tr></thead>
<tbody>{''.join(body)}</tbody></table>
{traced('Same rule as <code>rater agreement</code> / <code>rater calibrate</code>: trusted when the lower bound of the human-panel alpha interval is at least 0.667.')}
</section>"""


def _failure_modes(report: Report, svg: str | None, traced: Any) -> str:
    rows = report.failure_modes
    if not rows:
        return """
<section id="failure-modes"><h2>4. Failure modes</h2>
<p>No failure-mode data: neither the judges' structured failure-mode field nor clinicians' checklist tags are in
this database.</p></section>"""
    lead = "ppi" if any(r["estimator"] == "ppi" and r["share"] is not None for r in rows) else "human"
    models = report.provenance["answer_models"]
    groups = list(dict.fromkeys((r["by"], r["group"]) for r in rows))
    modes = sorted({r["failure_mode"] for r in rows})
    head = "".join(f"<th>{_e(m)}</th>" for m in models)
    sections = []
    for by in ("overall", "modality", "step", "risk_level"):
        body = []
        for mode in modes:
            for b, g in groups:
                if b != by:
                    continue
                cells = []
                for m in models:
                    row = next((r for r in rows if r["model"] == m and r["failure_mode"] == mode
                                and r["by"] == b and r["group"] == g and r["estimator"] == lead), None)
                    cells.append(f'<td class="num">{_ci(row, "share", ".0%") if row else "–"}</td>')
                if any(c != '<td class="num">–</td>' for c in cells):
                    body.append(f"<tr><td>{_e(mode)}</td><td>{_e(g)}</td>{''.join(cells)}</tr>")
        if body:
            sections.append(f"<h3>{_e(by.replace('_', ' '))}</h3><table><thead><tr><th>failure mode</th>"
                            f"<th>{_e(by.replace('_', ' '))}</th>{head}</tr></thead>"
                            f"<tbody>{''.join(body)}</tbody></table>")
    corrected = " (the judges' tags corrected with the clinicians')" if lead == "ppi" else ""
    figure = f'<figure>{svg}<figcaption>Figure 3. Share of answers showing each failure mode (overall, {lead}), ' \
             'with intervals.</figcaption></figure>' if svg else ""
    return f"""
<section id="failure-modes">
<h2>4. Failure modes</h2>
<p>A failure mode counts as shown in an answer when at least half of the judges asked (or of the clinicians who
completed the checklist) tagged it: a split never makes an answer look better. Shares are of the answers of the
modalities the mode applies to (taxonomy.yaml). Estimator: {_e(lead)}{corrected}.</p>
{figure}{''.join(sections)}
{traced('Table: failure_modes.csv (all estimators).')}
</section>"""


def _demographic(report: Report, svg: str | None, traced: Any) -> str:
    if not report.demographic:
        return """
<section id="demographic"><h2>5. Demographic robustness</h2>
<p>No demographic variant families with answers from two or more variants.</p></section>"""
    summary = "".join(
        f"<tr><td>{_e(r['model'])}</td><td>{_e(r['demographic_group'])}</td><td>{_e(r['axis'])}</td>"
        f"<td class='num'>{r['n_families']}</td><td class='num'>{_ci(r, 'mean_spread')}</td></tr>"
        for r in report.demographic_summary)
    worst = sorted(report.demographic, key=lambda r: (-r["spread"], r["model"], r["family"], r["axis"]))[:10]
    worst_rows = "".join(
        f"<tr><td>{_e(r['model'])}</td><td>{_e(r['family'])}</td><td>{_e(r['demographic_group'])}</td>"
        f"<td>{_e(r['axis'])}</td><td class='num'>{r['spread']:.2f}</td>"
        f"<td>{_e(r['moved_variant'])} ({r['moved_by']:+.2f})</td><td class='ids'>{_e(r['answer_ids'])}</td></tr>"
        for r in worst)
    figure = f'<figure>{svg}<figcaption>Figure 4. Mean spread (highest minus lowest variant mean) across each ' \
             'family\'s demographic variants, per group; bootstrap intervals over families.</figcaption></figure>' \
        if svg else ""
    return f"""
<section id="demographic">
<h2>5. Demographic robustness</h2>
<p>A family is a base scenario and its variants that change only a demographic cue. Per model and family, the
spread is the difference between the highest and the lowest variant's mean score (the calibrated panel's
score, the clinicians' consensus where the panel gave none); the variant that moved is the one farthest from
the base scenario's score. A spread is never below zero, and noise alone makes it larger than zero: with a few
answers per variant, two variants a model treats alike still differ by chance, and some variant always "moved".
Read a spread against the spread between repeated answers to one scenario, not against zero.</p>
{figure}
<table><thead><tr><th>model</th><th>group</th><th>axis</th><th>families</th><th>mean spread [CI]</th></tr></thead>
<tbody>{summary}</tbody></table>
<h3>Worst families</h3>
<table><thead><tr><th>model</th><th>family</th><th>group</th><th>axis</th><th>spread</th><th>variant that moved</th>
<th>answer ids</th></tr></thead><tbody>{worst_rows}</tbody></table>
{traced('Table: demographic.csv (every family).')}
</section>"""


def _regulators(report: Report) -> str:
    rows = "".join(f"<tr><td><strong>{_e(framework)}</strong><br>{_e(item)}</td><td>{_e(supports)}</td>"
                   f"<td>{_e(not_supported)}</td></tr>"
                   for framework, item, supports, not_supported in REGULATORS)
    counts = report.provenance["counts"]
    items = "".join(f"<li>{_e(text)}</li>" for text in limits(counts, report.provenance))
    return f"""
<section id="regulators">
<h2>6. For regulators: what this evidence supports, and what it does not</h2>
<p><strong>Evidence toward, never a claim of conformity.</strong> This report is one piece of evidence a
manufacturer or deployer may use; it does not show that any model or product conforms to any regulation or
standard, and it is not a clinical evaluation report, a technical documentation file or a conformity
assessment.</p>
<table><thead><tr><th>requirement</th><th>this report gives evidence toward</th><th>it does not show</th></tr></thead>
<tbody>{rows}</tbody></table>
<h3>Limits of the scenario set</h3>
<ul>{items}</ul>
</section>"""


def _methods(report: Report, traced: Any) -> str:
    p = report.provenance
    judges = "".join(
        f"<li><code>{_e(name)}</code>: models {_e(', '.join(j.get('models', [])) or 'not recorded')}; prompts "
        f"{_e(', '.join(str(x.get('file', '')) + ' ' + str(x.get('version', '')) for x in j.get('prompts', [])) or 'not recorded')}; "
        f"{j.get('judgments_ok', 0):,} judgments ok, {j.get('judgments_failed', 0):,} failed</li>"
        for name, j in p["judges"].items())
    return f"""
<section id="methods">
<h2>7. Methods and provenance</h2>
<ul>
<li><strong>Estimates.</strong> PPI++ for a mean (Angelopoulos et al., <em>Science</em> 2023; Angelopoulos,
Duchi and Zrnic, 2024): <code>lam * mean(panel over all answers) + weighted mean(clinicians - lam * panel over
rated answers)</code>, <code>lam</code> tuned to minimise the variance (clipped to 0-1), weights 1 / inclusion
probability (Hajek), CLT interval with the finite-population factor. Panel only: mean and CLT interval of the
panel's scores. Clinicians only: the weighted mean of the clinicians' consensus (lower median of the blind
ratings).</li>
<li><strong>Assumptions.</strong> The answers clinicians rated are a probability sample of the answers, drawn
with the recorded inclusion probabilities (equal when no study recorded them); the clinicians' consensus is the
reference. Nothing is assumed about the panel. The target is the mean over answers like these: the model's
answers to this scenario set, not to patients.</li>
<li><strong>Panel.</strong> Each judge's score, calibrated where a stored calibration has a map for that judge
and axis, then combined by the panel aggregate ({_e(p['panel_aggregate'])}).</li>
<li><strong>Judges.</strong><ul>{judges or '<li>none</li>'}</ul></li>
<li><strong>Reproduce.</strong> <code>{_e(p['command'])}</code> with seed {p['seed']} on the same database gives
the same numbers; every number in this page is in <code>results.json</code> with this provenance.</li>
</ul>
{traced('')}
</section>"""
