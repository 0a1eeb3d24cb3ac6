"""The report's figures as inline SVG text (matplotlib, Agg backend; imported only here, only when drawing).

Text stays text (``svg.fonttype = none``) with a generic font family, so
the page fetches no font and the figures are searchable; ids are salted
with the report's seed and no date is written, so the same data and seed
give the same bytes.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from rater.report.estimates import share_lead

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rater.report import Report

COLOURS = ("#1b6ca8", "#d1495b", "#edae49", "#00798c", "#6a4c93", "#30638e", "#8d6a9f", "#66a182")
MARKERS = {"ppi": "o", "panel": "s", "human": "^"}
LABELS = {"ppi": "PPI++ (panel corrected by clinicians)", "panel": "panel only", "human": "clinicians only"}


def _pyplot(seed: int) -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        # Names are text, never TeX: a model called "a$\frac$b" must not crash the page or turn into maths.
        "text.parse_math": False,
        "svg.fonttype": "none", "svg.hashsalt": str(seed), "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"], "font.size": 9,
        "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 96,
    })
    return plt


def to_svg(fig: Figure, title: str) -> str:
    """The figure as an ``<svg>`` element to inline in HTML (no XML prolog, no DOCTYPE, no date)."""
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    from html import escape

    return text.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" class="figure" ', 1)


def escalation_figure(report: Report, seed: int) -> str:
    """The trade-off: over-reactions where risk is absent, under-reactions where it is high; crisis safety."""
    plt = _pyplot(seed)
    levels = report.risk_levels
    models = report.provenance["answer_models"]
    leading = {t["axis"]: t["leading"] for t in report.trust}
    panels = [("over_reaction", "Over-reactions (share)"), ("under_reaction", "Under-reactions (share)"),
              ("crisis_safety", "Crisis safety (mean score)")]
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.4), sharex=True)
    x = {lv: i for i, lv in enumerate(levels)}
    for ax, (measure, title) in zip(axes, panels, strict=True):
        ax.set_title(title, fontsize=10, loc="left")
        estimator = leading.get("crisis_safety", "ppi") if measure == "crisis_safety" else \
            share_lead(report.escalation, report.trust, report.escalation_source, measure)
        drawn = False
        for i, m in enumerate(models):
            pts = [r for r in report.escalation if r["model"] == m and r["measure"] == measure
                   and r["estimator"] == estimator and r["mean"] is not None]
            if not pts:
                continue
            drawn = True
            xs = [x[r["risk_level"]] + (i - (len(models) - 1) / 2) * 0.08 for r in pts]
            ys = [r["mean"] for r in pts]
            lo = [r["mean"] - r["ci_low"] if r["ci_low"] is not None else 0 for r in pts]
            hi = [r["ci_high"] - r["mean"] if r["ci_high"] is not None else 0 for r in pts]
            ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", ms=4, lw=1.4, capsize=2,
                        color=COLOURS[i % len(COLOURS)], label=m)
        if not drawn:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="#777")
        ax.set_xticks(range(len(levels)), levels, rotation=30, ha="right")
        if measure == "crisis_safety":
            scale = next((a["values"] for a in report.axes if a["id"] == "crisis_safety"), None)
            if scale:
                ax.set_ylim(min(scale) - 0.1, max(scale) + 0.1)
        else:
            # Shares are often small: the axis stops a little above the highest interval, never above 1.
            tops = [r["ci_high"] if r["ci_high"] is not None else r["mean"] for r in report.escalation
                    if r["measure"] == measure and r["estimator"] == estimator and r["mean"] is not None]
            ax.set_ylim(0, min(1.0, max(tops, default=1.0) * 1.15 + 0.02))
        ax.grid(axis="y", color="#ddd", lw=0.6)
        ax.annotate(f"estimator: {estimator}", (0, -0.42), xycoords="axes fraction", fontsize=7, color="#555")
    handles, labels = axes[0].get_legend_handles_labels()
    if not handles:
        handles, labels = axes[2].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper center", ncol=min(4, len(labels)), frameon=False,
                   bbox_to_anchor=(0.5, 1.08))
    fig.tight_layout()
    return to_svg(fig, "Escalation trade-off by risk level and model")


def results_figure(report: Report, seed: int) -> str:
    """Per axis, each model's mean by the three estimators, with 95% intervals."""
    plt = _pyplot(seed)
    axes_ids = [a["id"] for a in report.axes if a["level"] != "nominal"]
    models = report.provenance["answer_models"]
    fig, axs = plt.subplots(1, len(axes_ids), figsize=(2.3 * len(axes_ids) + 1, 0.5 * len(models) + 1.8),
                            sharey=True, squeeze=False)
    for ax, axis in zip(axs[0], axes_ids, strict=True):
        spec = next(a for a in report.axes if a["id"] == axis)
        ax.set_title(axis.replace("_", " "), fontsize=9, loc="left")
        for j, estimator in enumerate(("panel", "ppi", "human")):
            for i, m in enumerate(models):
                row = next((r for r in report.results if r["model"] == m and r["axis"] == axis
                            and r["estimator"] == estimator), None)
                if row is None or row["mean"] is None:
                    continue
                y = i + (j - 1) * 0.22
                err = None
                if row["ci_low"] is not None:
                    err = [[row["mean"] - row["ci_low"]], [row["ci_high"] - row["mean"]]]
                ax.errorbar([row["mean"]], [y], xerr=err, fmt=MARKERS[estimator], ms=4, capsize=2,
                            color=COLOURS[j], label=LABELS[estimator] if i == 0 else None)
        ax.set_xlim(min(spec["values"]) - 0.2, max(spec["values"]) + 0.2)
        ax.grid(axis="x", color="#ddd", lw=0.6)
    axs[0][0].set_yticks(range(len(models)), models)
    axs[0][0].invert_yaxis()
    handles, labels = axs[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", ncol=3, frameon=False, bbox_to_anchor=(0.5, 1.06))
    fig.tight_layout()
    return to_svg(fig, "Mean score per axis and model, three estimators")


def failure_mode_figure(report: Report, seed: int) -> str | None:
    """Overall share of answers showing each failure mode, per model (leading estimator with interval)."""
    rows = [r for r in report.failure_modes if r["by"] == "overall"]
    if not rows:
        return None
    plt = _pyplot(seed)
    estimator = "ppi" if any(r["estimator"] == "ppi" and r["share"] is not None for r in rows) else "human"
    modes = sorted({r["failure_mode"] for r in rows})
    models = report.provenance["answer_models"]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(modes) * max(1, len(models)) / 1.5 + 1.4))
    height = 0.8 / max(1, len(models))
    labelled: set[str] = set()  # each model named once in the legend, on its first drawn bar
    for i, m in enumerate(models):
        for k, mode in enumerate(modes):
            row = next((r for r in rows if r["model"] == m and r["failure_mode"] == mode
                        and r["estimator"] == estimator), None)
            if row is None or row["share"] is None:
                continue
            y = k + (i - (len(models) - 1) / 2) * height
            err = None
            if row["ci_low"] is not None:
                err = [[row["share"] - row["ci_low"]], [row["ci_high"] - row["share"]]]
            ax.barh(y, row["share"], height=height * 0.9, xerr=err, color=COLOURS[i % len(COLOURS)],
                    label=None if m in labelled else m, error_kw={"lw": 0.8, "capsize": 1.5})
            labelled.add(m)
    ax.set_yticks(range(len(modes)), [m.replace("_", " ") for m in modes])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of answers ({estimator})")
    if labelled:
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(axis="x", color="#ddd", lw=0.6)
    fig.tight_layout()
    return to_svg(fig, "Failure-mode prevalence per model")


def demographic_figure(report: Report, seed: int) -> str | None:
    """Mean spread across a family's demographic variants, per group and model, with bootstrap intervals."""
    rows = report.demographic_summary
    if not rows:
        return None
    plt = _pyplot(seed)
    axis = "protocol_fidelity" if any(r["axis"] == "protocol_fidelity" for r in rows) else rows[0]["axis"]
    rows = [r for r in rows if r["axis"] == axis]
    groups = sorted({r["demographic_group"] for r in rows})
    models = report.provenance["answer_models"]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(groups) * max(1, len(models)) / 1.5 + 1.4))
    height = 0.8 / max(1, len(models))
    for i, m in enumerate(models):
        for k, g in enumerate(groups):
            row = next((r for r in rows if r["model"] == m and r["demographic_group"] == g), None)
            if row is None:
                continue
            y = k + (i - (len(models) - 1) / 2) * height
            err = None
            if row["ci_low"] is not None:
                err = [[row["mean_spread"] - row["ci_low"]], [row["ci_high"] - row["mean_spread"]]]
            ax.barh(y, row["mean_spread"], height=height * 0.9, xerr=err, color=COLOURS[i % len(COLOURS)],
                    label=m if k == 0 else None, error_kw={"lw": 0.8, "capsize": 1.5})
    ax.set_yticks(range(len(groups)), [g.replace("_", " ") for g in groups])
    ax.invert_yaxis()
    ax.set_xlabel(f"mean spread of {axis.replace('_', ' ')} across variants (points)")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(axis="x", color="#ddd", lw=0.6)
    fig.tight_layout()
    return to_svg(fig, "Demographic spread per group and model")
