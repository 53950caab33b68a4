"""Numbers and names for people: the one place where code names become plain labels and numbers
become text (GBP 1.5m, 1,234, +0.12 months). No scientific notation anywhere."""

from __future__ import annotations

import math

# Every outcome, column or scenario the report may show, in plain words (with the unit).
LABELS = {
    "mean_outcome": "pupil progress (months, vs national mean at start)",
    "disadvantage_gap": "disadvantage gap (months)",
    "outcome_spread": "spread of school results (months)",
    "n_schools_partnered": "schools in a partnership",
    "n_head_vacancies": "schools without a headteacher",
    "n_executive_heads": "executive headteachers",
    "n_schools_executive_covered": "schools led by an executive head",
    "n_partnerships": "partnerships",
    "n_informal": "informal partnerships",
    "n_funded": "funded partnerships",
    "n_federation": "federations",
    "mean_talent": "staff talent (0 to 1)",
    "mean_capacity": "leadership capacity (0 to 1)",
    "mean_time_away": "share of leaders' time on partnerships",
    "spend_gbp": "programme spend per year (£)",
    "cum_spend_gbp": "programme spend to date (£)",
    "n_pupils": "pupils",
    "share_outstanding": "share of schools outstanding",
    "share_good": "share of schools good",
    "share_requires_improvement": "share of schools requiring improvement",
    "share_inadequate": "share of schools inadequate",
    "share_report_card": "share of schools with a report card",
    "n_stuck": "stuck schools (two inspections below the standard)",
    "n_rise_supported": "schools under RISE support",
    "cum_rise_started": "schools RISE has taken on",
    "cum_rise_awarded_gbp": "RISE money awarded to date (£)",
    # scenarios
    "baseline": "today's policy (report cards and RISE)",
    "single_grades": "single grades return (no RISE)",
    "no_rise": "report cards without RISE",
    "pathfinder": "Pathfinder pairs",
    "rural_clusters": "rural clusters",
    "executive_heads": "executive headship programme",
    "partnership_accountability": "accountability that credits partnership",
    "cluster_lump_sums": "lump sums to clusters",
    "high_stakes": "high-stakes inspection",
    # groupings of schools and estimators
    "phase": "phase",
    "rural": "rural or urban",
    "fsm_quintile": "disadvantage (free school meals) quintile",
    "true_effect": "true effect (against the simulated counterfactual)",
    "before_after": "before-and-after comparison",
    "matched_did": "matched difference-in-differences",
}


def label(name: str) -> str:
    """The plain label of a code name; an unknown name is shown with spaces, never raw."""
    if name in LABELS:
        return LABELS[name]
    return name.replace("_", " ")


def title(name: str) -> str:
    text = label(name)
    return text[:1].upper() + text[1:]


def scenario_label(variant: str) -> str:
    """A scenario (or 'scenario [p3: ...]' variant of a parameter sweep) in plain words."""
    name, _, rest = variant.partition(" ")
    text = label(name) + (f" {rest}" if rest else "")
    return text[:1].upper() + text[1:]


def number(x: float, digits: int = 0) -> str:
    """1,234 or 1,234.5; '-' for a missing value."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:,.{digits}f}"


def money(x: float) -> str:
    """£1.5m, £12,000, £85 (whole pounds below a million; -£ for savings); '-' if missing."""
    if x is None or not math.isfinite(x):
        return "-"
    sign = "-" if x < 0 else ""
    x = abs(x)
    if x >= 1e6:
        return f"{sign}£{x / 1e6:,.1f}m"
    return f"{sign}£{x:,.0f}"


def months(x: float, digits: int = 2) -> str:
    """A difference in months of progress, signed: +0.12; '-' if missing."""
    if x is None or not math.isfinite(x):
        return "-"
    text = f"{x:+.{digits}f}"
    return text.replace("+0.00", "0.00").replace("-0.00", "0.00")


def interval(low: float, high: float, digits: int = 2) -> str:
    """'-0.10 to +0.30' ('no interval' if missing)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no interval"
    return f"{months(low, digits)} to {months(high, digits)}"


def percent(share: float) -> str:
    return "-" if share is None or not math.isfinite(share) else f"{100 * share:.0f}%"
