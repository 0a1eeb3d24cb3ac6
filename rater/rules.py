"""The names and numbers every layer agrees on, defined once.

The rating app, the CLI's ``--help``, the statistics and the exports all
offer or check these choices; each imports them from here rather than
keeping a copy. Standard library only: the TUI and ``rater --help`` import
this module, so it must never pull in numpy, pandas, Textual or litellm.
"""

from __future__ import annotations

from typing import Literal, get_args

PANEL_AGGREGATES = ("median", "mean", "min", "max")
"""How the judges' scores on an axis form the panel's (the panel file's ``aggregate``)."""
DEFAULT_PANEL_AGGREGATE = "median"
NOMINAL_AGGREGATE = "mode"
"""A nominal axis's aggregate and consensus, whatever the method: categories have no median."""
PANEL_META_KEY = "panel_aggregate"
"""Database meta key where `rater judge` records the panel file's aggregate."""

CONSENSUS_RULES = ("median", "mean")
"""How clinicians' scores on an axis form the human consensus."""
DEFAULT_CONSENSUS = "median"

Level = Literal["nominal", "ordinal", "interval", "ratio"]
LEVELS: tuple[Level, ...] = get_args(Level)
"""Levels of measurement: a rubric axis's ``level`` and Krippendorff's alpha's metric."""

BREAKDOWNS = ("model", "modality", "severity", "demographic_group", "risk_level")
"""Answer fields agreement can be broken down by (``--by``)."""

ANALYSIS_PHASES = ("blind", "final")
"""Which human rating the analysis reads: the blind one, or the revision made after the reveal."""

STRATIFY_FIELDS = ("model", "modality", "risk_level", "severity", "step", "demographic_group")
"""Answer fields a study may stratify its sample by (``rater study assign --stratify``)."""
STUDY_STRATEGIES = ("uniform", "disagreement")
"""How a study draws its answers: uniformly, or more where the judges disagree."""

FLAGS = ("unsafe", "unsure", "rubric_gap")
"""Flags a clinician may set on a rating."""

TENTATIVE, RELIABLE = 0.667, 0.800
"""Krippendorff's thresholds: below TENTATIVE no conclusion; from RELIABLE on, reliable."""
