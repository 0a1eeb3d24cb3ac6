"""The report's regulators section: each part of the evidence mapped to what it supports and what it does not.

Wording rule: evidence *toward* a requirement, never a claim that a model or
product meets it. Conformity is for the manufacturer's or deployer's own
process (and, where required, a notified body) to establish.
"""

from __future__ import annotations

from typing import Any

# (framework, requirement, what this report gives evidence toward, what it does not show)
REGULATORS: tuple[tuple[str, str, str, str], ...] = (
    ("FDA SaMD clinical evaluation (IMDRF/SaMD WG/N41)",
     "Valid clinical association",
     "Scenarios are written to named protocol steps (Prolonged Exposure, CBT cognitive restructuring) and to "
     "C-SSRS-anchored risk levels; the rubric's anchors say what a clinically sound reply does. This supports "
     "that the quantities measured are clinically meaningful for the intended task.",
     "That the outputs are associated with any patient outcome: the scenarios are authored vignettes, not "
     "patients."),
    ("FDA SaMD clinical evaluation (IMDRF/SaMD WG/N41)",
     "Analytical validation",
     "How accurately and reliably each model's replies follow the protocol, avoid invented content, stay "
     "consistent across sibling scenarios and hold under demographic cues, with intervals; how far the "
     "measurement itself can be trusted, per axis (clinician-panel agreement and replacement delta, "
     "section 3), whatever that shows.",
     "Performance on inputs unlike the scenario set, on other languages, or after the model changes."),
    ("FDA SaMD clinical evaluation (IMDRF/SaMD WG/N41)",
     "Clinical validation",
     "Clinician-rated performance in simulated, clinically relevant situations (an analogue study).",
     "Clinical validation in the target population: no patients were involved and no outcome was measured."),
    ("Good Machine Learning Practice (FDA, Health Canada, MHRA, 2021)",
     "Principle 7: performance of the human-AI team",
     "Where the judge panel can stand in for clinicians and where it cannot (section 3), i.e. where human "
     "review must stay in the loop when such a model is monitored.",
     "The performance of clinicians working with the evaluated model: the report rates the model's replies, "
     "not a clinician-model team in use."),
    ("Good Machine Learning Practice (FDA, Health Canada, MHRA, 2021)",
     "Principle 8: testing under clinically relevant conditions",
     "Escalation from no risk (with traps) to imminent risk, protocol steps, and demographic variants "
     "(sections 1, 4, 5), with intervals that hold if the answers clinicians rated are a probability "
     "sample of the answers (section 7).",
     "Real-world conditions: multi-session care, real patients' language, deployment context."),
    ("Good Machine Learning Practice (FDA, Health Canada, MHRA, 2021)",
     "Principles 3 and 9: representative data; clear information for users",
     "The demographic families and their spread; the limits below, stated for users of the results.",
     "Representativeness of the scenario set for any patient population; independence of the scenarios from "
     "the evaluated models' training data (public scenarios may have been seen)."),
    ("EU AI Act (Regulation (EU) 2024/1689), high-risk systems", "Art. 9 risk management",
     "Identification and estimation of risks in testing: failure-mode prevalence and the over/under-reaction "
     "trade-off per risk level, against a defined scenario set (Art. 9(2)(a)-(b), 9(6)-(8)).",
     "A risk-management system run through the lifecycle, risk acceptability decisions, or post-market data."),
    ("EU AI Act (Regulation (EU) 2024/1689), high-risk systems", "Art. 10 data and data governance",
     "For the evaluation data: documented provenance of scenarios, rubric versions and ratings; an examination "
     "for possible biases across demographic cues (Art. 10(2)(f)).",
     "Anything about the evaluated models' training, validation or testing data."),
    ("EU AI Act (Regulation (EU) 2024/1689), high-risk systems", "Art. 12 record-keeping",
     "Records of the evaluation: every rating change kept in an append-only history, every judgment with its "
     "model, prompt version and call key, this report's command and seed.",
     "Automatic logging of events by the deployed system over its lifetime."),
    ("EU AI Act (Regulation (EU) 2024/1689), high-risk systems", "Art. 13 transparency",
     "Levels of accuracy with intervals, known failure modes and the circumstances that provoke them, usable "
     "in instructions for use (Art. 13(3)(b)).",
     "The instructions for use themselves, or that deployers can interpret the system's output."),
    ("EU AI Act (Regulation (EU) 2024/1689), high-risk systems", "Art. 14 human oversight",
     "Where oversight is needed most: the risk levels with under-reactions, and the axes where automated "
     "review (the panel) is not trusted.",
     "That oversight measures exist or work in deployment."),
    ("EU AI Act (Regulation (EU) 2024/1689), high-risk systems", "Art. 15 accuracy, robustness",
     "Accuracy metrics with intervals; robustness to demographic cues and consistency across sibling scenarios.",
     "Cybersecurity, resilience to adversarial inputs or attacks, or accuracy after updates."),
)


def limits(counts: dict[str, Any], provenance: dict[str, Any]) -> list[str]:
    """The limits of the scenario set and of this report, said plainly with this database's numbers."""
    models = provenance.get("answer_models", [])
    out = [
        f"{counts.get('scenarios', 0):,} scenarios in two modalities (Prolonged Exposure for PTSD and CBT "
        "cognitive restructuring), in English, written by the study team: vignettes, not transcripts of care.",
        "Each answer is one reply to a scripted conversation; multi-turn behaviour, memory across sessions and "
        "what a patient does next are not measured.",
        "Risk levels have few scenarios each; intervals per risk level are wide where answers are few, and a "
        "share of 0% means none observed, not none possible.",
        "Demographic families cover a few groups with a few variants each; a small spread is not evidence of "
        "fairness for groups or cues not tested.",
        f"Results are for {len(models)} model(s) as queried when the answers were generated "
        "(settings in the answers' provenance); another version or setting may behave differently.",
        "The reference is the consensus of the clinicians who rated, under the rubric version above; another "
        "panel of clinicians or another rubric may score differently.",
    ]
    if provenance.get("illustrative_demo_data"):
        out.insert(0, "This database is ILLUSTRATIVE DEMO DATA: the answers, judge scores and ratings were "
                      "handwritten to show how rater works. Nothing here is a result.")
    return out
