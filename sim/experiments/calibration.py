"""Calibrate the free parameters of the default dynamics: an ensemble of parameter sets within
tolerance of the targets of evidence.md (or the nearest to it, under a stated relaxed cut), found by
history matching in waves.

    python -m sim.calibrate                                   # the real run (wall times: docs/calibration.md)
    python -m sim.calibrate --waves 2 --per-wave 4 --seeds 1 --n-schools 40 --years 8 \
        --spinup-years 2 --members 2 --out /tmp/cal --fitted /tmp/cal/fitted.yaml \
        --ensemble /tmp/cal/ensemble.csv --figures /tmp/cal          # smoke

What it fits (``FREE``: rule parameters with bounds) to what (``TARGETS``: system figures
under the historic single-grade regime and programme-level findings, each with a tolerance from its
source's precision), how (history matching, below), and what it writes:

* ``<out>/evaluations.csv``: every evaluation, its wave and stage (search or confirm),
  implausibilities and simulated quantities;
* ``<out>/summary.json``: settings, wall times, the acceptance rule used, the default's holdout check;
* ``<ensemble>`` (default ``conf/calibration/ensemble.csv``): the accepted parameter sets with their
  scores, best first (member 0). Sweeps (``parameter_sets: ensemble``) and ``sim.compare(...,
  ensemble=n)`` run its first members;
* ``<fitted>`` (default ``conf/calibration/fitted.yaml``): member 0, the default of single runs
  (``sim.config.generate`` writes it into ``conf/rules/*/default.yaml``);
* ``<figures>/calibration_*.png``: every target against the ensemble's spread, the gain timing, the
  waves.

Each evaluation is kept in ``<out>/finished/`` the moment it finishes, so an interrupted run
(Ctrl-C, SIGTERM, a crash) loses none: the same command resumes, reusing them, and gives exactly
the outputs of an uninterrupted run. The folder is removed when the outputs are written. A kept
evaluation is reused only under the same composed configs; after changing the model's code (not
its configs), remove the folder.

**Simulated quantities** (the sets of a wave run on the same seeds, common random numbers; each
wave on fresh ones, ``wave_seeds``). For every seed the model is spun up once, then run ``years``
under the baseline (stepped here in Python, under ``HISTORIC_REGIME``) and forked for the
``pathfinder`` scenario:

* grade mix and inspection transitions (per inspection, exactly: schools whose ``t_inspected``
  changed in a step, grade before -> after), the share of schools "stuck" (yearly, in the grade
  mix's window), head turnover, teacher turnover (an input, reported), the disadvantage gap by
  phase (``sim.core.recorder.disadvantage_gap``), as before;
* gain timing: event study of members of pathfinder-funded partnerships against the same school in
  the baseline run on the same seed; the first k >= 1 from which the mean gain is positive two years
  running (``NO_GAIN_DELAY`` if never);
* weaker and stronger partners: the same event study by strength (weaker partner = lowest talent +
  capacity when formed), mean effect over event years 2-4;
* funding cliff: of funded partnerships still running when their money stopped (and observed a year
  after), the share that ended within a year;
* trusts and academies, over the first ``TRUST_GROWTH_YEARS`` (the size mix at time 0 is the
  landscape's, from evidence.md): the growth of the mean multi-academy trust (schools per trust of
  2+ schools; England's growth since 2019 carried forward); the yearly share of maintained
  primaries and secondaries that became academies, by every route (conversion, a federation
  converting, sponsorship); the yearly change in the number of standalone academies
  (single-academy trusts). The size mix at the end is reported, not fitted.

**Implausibility** of a target: the distance of the simulated value (pooled over the seeds) from
the evidence (0 inside a range) divided by sqrt(tolerance^2 + standard error^2), where the standard
error is chance in the simulated value: the target's standard deviation over seeds (each seed's
runs alone), pooled over every set evaluated (the root of the mean of the sets' variances, as the
waves go), over sqrt(number of seeds). History matching divides by every variance between the
figure and the simulator's mean: the figure's (the tolerance) and, for a stochastic simulator, the
mean's own, its ensemble variability estimated once for the whole space from repeated runs
(Andrianakis et al. 2015, PLoS Comput Biol 11: e1003968; the Alan Turing Institute's autoemulate
``history_matching``: observed plus predicted variance). A set's own few seeds would give a noisy
spread and favour sets whose seeds happen to disagree. A set is within tolerance of a target
when it is <= 1.
**Objective** (ranks accepted sets; member 0 is the best): sum over targets of weight x
implausibility^2.

**History matching** (Vernon, Goldstein & Bower 2010; Andrianakis et al. 2015): wave 1 draws a
scrambled Latin hypercube of ``per_wave`` points over the bounds (not the current defaults: they
were chosen on the confirmation seeds by the last calibration, so their score there is lucky, and
without them a calibration depends on its command and the code alone). Before each later wave,
one emulator per target (``sim.experiments.emulation``: a quadratic in each parameter, its error
measured leave-one-out) is fitted to every set simulated so far, and the wave is ``per_wave`` sets
drawn at random from those the emulators expect within ``wave_cut`` of every target: ``CUT`` (3,
Pukelsheim's three-sigma rule) at wave 2, 2 at wave 3, and 1 from wave 4 on.
The emulators screen many thousands of candidates for the cost of one simulation, and drawing at random
from the whole region they keep spreads the sets over it (not around a few parents).

**Confirmation and acceptance**: selecting the best of hundreds of noisy evaluations favours sets
whose seeds were lucky (the winner's curse). So every set within ``SCREEN_CUT`` (1.5) on the search
seeds, and at least the 2 x ``members`` nearest, is evaluated again on fresh confirmation seeds
(``CONFIRM_SEED``, ...), and acceptance judges those evaluations: every set within tolerance of
every target (1). If fewer than ``members`` sets pass, the rule is relaxed, openly: the ``members``
sets with the smallest largest implausibility are accepted and the cut actually used is reported
(summary, ensemble file, docs/calibration.md). Member 0, the accepted set with the lowest
objective on every seed it ran (search and confirmation, ten at the defaults), is evaluated once
more on holdout seeds (1000, ...) to show what winner's curse is left.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.event_study import member_changes
from sim.analysis.paired import first_year_from_which
from sim.config import compose, validate
from sim.core.paths import PROJECT_DIR
from sim.core.recorder import disadvantage_gap
from sim.core.vocabulary import HEAD_IN_POST
from sim.experiments.emulation import QuadraticEmulator
from sim.experiments.ensemble import ENSEMBLE
from sim.experiments.samplers import latin_hypercube

# The grade-mix and transition targets describe England in 2018-2020: single overall grades, with
# outstanding schools exempt from routine inspection (2012-2020). The calibration runs that regime
# from time 0, which stands for 2012, and reads the grade mix (a stock the exemption changes) from
# the yearly panels of HISTORIC_WINDOW (model years 4-8, 2016-2020); the transitions (rates per
# inspection, which it hardly changes) are counted over the whole run, for precision. Not today's
# report cards, nor today's normal cycle for outstanding schools.
HISTORIC_REGIME: list[str] = ["accountability=single_grades_exempt"]
HISTORIC_WINDOW: tuple[float, float] = (4.0, 8.0)

# The free parameters: config key -> (low, high, unit and why it is free).
FREE: dict[str, tuple[float, float, str]] = {
    "rules.accountability.inspection_noise_sd": (
        0.2, 0.9, "score points; judgement noise: sets how often grades move between inspections"),
    "rules.accountability.weight_capacity": (
        0.3, 1.5, "score points per SD of capacity; how much inspections see leadership"),
    "rules.staffing.vacancy_fill_per_year": (
        1.0, 4.0, "1/year; how fast headships are filled (head turnover, recovery of weak schools)"),
    "rules.running.learn_rate_per_year": (
        0.2, 2.0, "1/year; how fast partners learn from stronger ones (size and timing of gains)"),
    "rules.running.trust_build_per_year": (
        0.3, 3.0, "1/year; how fast trust builds by meeting (timing of gains)"),
    "rules.improvement.lag_years": (
        0.5, 3.0, "years; lag of outcomes behind teaching and leadership (timing of gains)"),
    "rules.improvement.gap_primary_months": (
        8.0, 14.0, "months; the disadvantage gap in a primary of quality 0.5 (schools are better on "
        "average, which narrows it: the national gap at age 11)"),
    "rules.improvement.gap_secondary_months": (
        15.0, 24.0, "months; likewise for secondaries (the national gap at age 16)"),
    "rules.accountability.outstanding_margin_points": (
        0.0, 2.0, "score points; extra bar for a new outstanding grade (good -> outstanding)"),
    "rules.accountability.interval_exempt_years": (
        6.0, 20.0, "years; re-inspection of exempt outstanding schools, on concerns only (grade mix)"),
    "rules.accountability.sponsored_first_inspection_years": (
        2.5, 4.5, "years; a sponsored academy's first inspection: in its third year of operation "
        "(Ofsted 2015) after some months to open (how long the predecessor's inadequate grade stands)"),
    "rules.accountability.support_per_year": (
        0.0, 2.0, "1/year at pressure 1; support after a low grade (RI, inadequate -> good)"),
    "rules.dissolution.worth_exchange": (
        0.5, 6.0, "time per unit of yearly gain; what a partnership must give back (funding cliff)"),
    "rules.trusts.join_per_year_standalone": (
        0.01, 0.2, "1/year; single-academy trusts joining a multi-academy trust (their decline, "
        "trust sizes)"),
    "rules.trusts.convert_per_year_primary": (
        0.02, 0.08, "1/year; voluntary conversion of maintained primaries (with sponsorship and "
        "federations: the academy trend)"),
    "rules.trusts.convert_per_year_secondary": (
        0.02, 0.08, "1/year; voluntary conversion of maintained secondaries (likewise)"),
    "rules.accountability.interval_inadequate_years": (
        1.5, 2.5, "years; re-inspection after an inadequate grade: monitoring over 18 months "
        "(Ofsted 2012), 20-27 months on average to leave special measures (Gray, Tes 2000); "
        "how long the inadequate grade stands"),
    "rules.trusts.max_growth_per_year": (
        0.05, 0.5, "share of its size a year; how fast a trust may take in schools (growth of the "
        "mean trust)"),
}
NO_GAIN_DELAY = 12.0  # years counted when member schools' gain never turns positive
CUT = 3.0  # implausibility cut of the waves (three-sigma rule)
SCREEN_CUT = 1.5  # search-seed implausibility up to which a set is confirmed on fresh seeds
CONFIRM_SEED = 100  # the first confirmation seed (search seeds 0, 1, ...; holdout 1000, ...)
TRUST_GROWTH_YEARS = 5.0  # years over which trusts' growth in mean size is read
STRENGTH_YEARS = (2, 3, 4)  # event years over which weaker and stronger partners' gains are read


@dataclass(frozen=True)
class Target:
    """A published figure: a point (low == high) or a range (an end may be infinite), with the
    tolerance its source's precision allows, its weight in the objective and its source."""

    low: float
    high: float
    tolerance: float
    weight: float
    unit: str
    source: str

    def implausibility(self, simulated: float, standard_error: float = 0.0) -> float:
        """Distance from the figure (0 inside a range) in tolerances; <= 1 is within tolerance.
        With ``standard_error`` (chance in the simulated value: its spread over seeds / sqrt(n))
        the scale is sqrt(tolerance^2 + standard_error^2), as history matching divides by every
        variance between the figure and the simulator's mean (module docstring)."""
        if simulated is None or not math.isfinite(simulated):
            return 10.0 * CUT  # a missing quantity (e.g. no inspections seen) is a large miss
        distance = max(self.low - simulated, simulated - self.high, 0.0)
        return distance / math.hypot(self.tolerance, standard_error)


def point(value: float, tolerance: float, unit: str, source: str, weight: float = 1.0) -> Target:
    return Target(value, value, tolerance, weight, unit, source)


OFSTED_MIX = "Ofsted, Dec 2018; +/-3 points: whole-number percentages that move 1-3 points a year"
OFSTED_GOOD = ("Ofsted 2019/20, re-inspection of good schools; +/-3 points (+/-5 for 'stays "
               "good'): whole-number percentages of one year's inspections")
TARGETS: dict[str, Target] = {
    "grade_outstanding": point(0.20, 0.03, "share", OFSTED_MIX),
    "grade_good": point(0.65, 0.03, "share", OFSTED_MIX),
    "grade_requires_improvement": point(0.11, 0.03, "share", OFSTED_MIX),
    "grade_inadequate": point(0.04, 0.02, "share", OFSTED_MIX + " (+/-2 at 4 %)"),
    "good_stays_good": point(0.84, 0.05, "share", OFSTED_GOOD),
    "good_to_outstanding": point(0.03, 0.03, "share", OFSTED_GOOD),
    "good_to_requires_improvement": point(0.11, 0.03, "share", OFSTED_GOOD),
    "good_to_inadequate": point(0.02, 0.02, "share", OFSTED_GOOD),
    "ri_to_good_or_better": Target(0.56, 0.78, 0.05, 1.0, "share",
                                   "Ofsted management information (range over years); +/-5 points"),
    "inadequate_to_good_or_better": Target(0.40, 0.56, 0.05, 1.0, "share",
                                           "Ofsted (range over years); +/-5 points"),
    "stuck_share": point(0.03, 0.015, "share", "DfE, Schools eligible for RISE intervention: 657 "
                         "'stuck' schools (RI, below good before) of about 21,600 on 28 Feb 2025 "
                         "(639 on 30 Jun); +/-1.5 points (assumption: a 2025 count read against "
                         "the 2016-2020 window)"),
    "head_turnover": point(0.10, 0.02, "share / year", "DfE, School leadership retention 2024 "
                           "('~10 %'); +/-2 points"),
    "teacher_turnover": point(0.10, 0.02, "share / year",
                              "DfE school workforce census ('~10 %'; an input: weight 0)", 0.0),
    "gap_primary_months": point(10.0, 1.5, "months", "EPI 2019-2024, age 11 ('~10 months', "
                                "moves ~1 month between years); +/-1.5 months"),
    "gap_secondary_months": Target(18.0, 19.0, 1.5, 1.0, "months",
                                   "EPI 2019-2024, age 16; +/-1.5 months"),
    "gain_delay_years": Target(2.0, 4.0, 1.0, 2.0, "years",
                               "Chapman, Muijs & MacAllister 2011 (gains 2-4 years after "
                               "forming); +/-1 year: yearly results"),
    "funded_end_within_year": point(0.53, 0.12, "share", "EEF Challenge the Gap 2017 (47 % stayed "
                                    "a third year); +/-12 points: 'about half' of a few dozen "
                                    "schools, and ~80 funded partnerships simulated"),
    "stronger_partner_gain_months": Target(0.0, math.inf, 0.25, 1.0, "months",
                                           "Chapman & Muijs 2014; Muijs 2015 (no decline on "
                                           "average); +/-0.25 months: EEF reports whole months"),
    "weaker_minus_stronger_months": Target(0.0, math.inf, 0.1, 1.0, "months",
                                           "Chapman & Muijs 2014; Muijs 2015 (the weaker partner "
                                           "gains most); +/-0.1 months"),
    "trust_size_growth_5_years": point(2.0, 1.0, "schools", "Schools Week, 29 Mar 2024: the mean "
                                       "trust grew from 6 schools in 2019 to more than 8; the "
                                       "same pace over the first 5 years; +/-1 school: 7.3 in Dec "
                                       "2023 (DfE), ~20 trusts a region"),
    "conversion_rate_primary": point(0.059, 0.015, "share / year", "DfE 2024/25: 42.7 % -> "
                                     "46.1 % of primaries academies, 5.9 % of maintained "
                                     "primaries a year by every route; +/-1.5 points "
                                     "(assumption: one year's rate carried over five)"),
    "conversion_rate_secondary": point(0.061, 0.015, "share / year", "DfE 2024/25: 81.9 % -> "
                                       "83 % of secondaries, 6.1 % of maintained a year; +/-1.5 "
                                       "points (likewise)"),
    "standalone_academy_change": point(-0.08, 0.04, "share / year", "Schools Week, 11 Mar 2024: "
                                       "single-academy trusts fell 8 % nationally in a year; "
                                       "+/-4 points (assumption: one year's figure)"),
}


# -- simulating one candidate ---------------------------------------------------------------------
def base_configs(n_schools: int, years: float, spinup_years: float | None, steps_per_year: int):
    """The composed baseline and pathfinder configs (DictConfigs) candidates are applied to, under
    the historic single-grade regime the targets describe."""
    common = [f"landscape.n_schools={n_schools}", f"years={years!r}",
              f"steps_per_year={steps_per_year}", "output.progress=false", *HISTORIC_REGIME]
    if spinup_years is not None:
        common.append(f"spinup_years={spinup_years!r}")
    return compose(["scenario=baseline", *common]), compose(["scenario=pathfinder", *common])


def with_values(cfg, values: dict[str, float], seed: int):
    """A validated copy of ``cfg`` with the candidate's values and the seed."""
    from omegaconf import OmegaConf

    cfg = cfg.copy()
    for key, value in values.items():
        OmegaConf.update(cfg, key, float(value), merge=False)
    cfg.seed = seed
    return validate(cfg)


class SystemTally:
    """What the baseline's tables do not keep, tallied around each step: inspection grade
    transitions, heads leaving, heads in post, and at each whole year of ``HISTORIC_WINDOW`` the
    share of schools "stuck" (the DfE's definition under single grades: requires improvement at
    the latest inspection, below good at the one before)."""

    def __init__(self) -> None:
        self.transitions = np.zeros((5, 5), dtype=np.int64)  # [grade before, grade after]
        self.head_leavers = 0
        self.heads_in_post: list[int] = []
        self.stuck: list[float] = []

    def before_step(self, model) -> None:
        s = model.schools
        self.grade_before = s.grade.copy()
        self.inspected_before = s.t_inspected.copy()
        self.in_post_before = s.head == HEAD_IN_POST
        self.heads_in_post.append(int(self.in_post_before.sum()))

    def after_step(self, model) -> None:
        s = model.schools
        inspected = s.t_inspected != self.inspected_before
        np.add.at(self.transitions, (self.grade_before[inspected], s.grade[inspected]), 1)
        self.head_leavers += int((s.head_left_now & self.in_post_before).sum())
        whole_year = model.tick % model.config.steps_per_year == 0
        if whole_year and in_historic_window(np.array([model.now_years]))[0]:
            self.stuck.append(float(((s.grade == 3) & (s.inspections_below_standard >= 2)).mean()))


def in_historic_window(years):
    """Whether model years ``years`` (an array) lie in ``HISTORIC_WINDOW``."""
    low, high = HISTORIC_WINDOW
    return (years >= low) & (years <= high)


def run_seed(base_cfg, pf_cfg, values: dict[str, float], seed: int) -> dict:
    """One seed: the baseline and the pathfinder on the same draws (one spin-up, forked), the
    baseline tallied step by step; return raw tallies."""
    from sim.running import run_paired

    base = with_values(base_cfg, values, seed)
    pathfinder = with_values(pf_cfg, values, seed)
    tally = SystemTally()
    base_run, pf = run_paired([base, pathfinder], observers=[tally, None])
    staffing = next(p for name, _, p in base.rules if name == "staffing")
    rural = base_run.schools.drop_duplicates("school_id").rural.to_numpy()
    tau = staffing.teacher_turnover_per_year * np.where(
        rural, 1.0, staffing.rel_teacher_turnover_urban)
    return {
        "panel": base_run.schools, "pf_panel": pf.schools, "pf_partnerships": pf.partnerships,
        "pf_timeseries": pf.timeseries, "base_timeseries": base_run.timeseries,
        "base_partnerships": base_run.partnerships,
        "transitions": tally.transitions, "head_leavers": tally.head_leavers,
        "stuck": tally.stuck,
        "head_years": float(np.mean(tally.heads_in_post)) * base.config.years,
        "teacher_turnover": float(np.mean(1 - np.exp(-tau))),
    }


def funded_member_changes(base_panel: pd.DataFrame, pf_panel: pd.DataFrame,
                          partnerships: pd.DataFrame) -> pd.DataFrame:
    """d_i(k) (``effect``, months) for members of partnerships funded in the pathfinder run, one
    row each, grouped into the weaker partner and the stronger one(s): the event study against the
    same school in the baseline run on the same seed."""
    return member_changes(pf_panel, partnerships, treated=lambda pt: pt.funding_gbp > 0,
                          against="counterfactual", counterfactual_panel=base_panel,
                          pre=0, post=None, by_strength=True)


def gain_delay(curve: pd.Series) -> float:
    """First event year k >= 1 from which the mean gain is positive two years running."""
    ks = [k for k in curve.index if k >= 1]
    for k in ks:
        nxt = curve.get(k + 1)
        if curve[k] > 0 and (nxt is None or nxt > 0):
            return float(k)
    return NO_GAIN_DELAY


def funding_cliff(partnerships: pd.DataFrame, last_time: float) -> tuple[int, int]:
    """(ended within a year of the money stopping, running when it stopped) over funded
    partnerships whose money stopped at least a year before ``last_time``."""
    funded = partnerships[(partnerships.funding_gbp > 0)
                          & (partnerships.funded_until <= last_time - 1.0)]
    running = funded[funded.ended_at.isna() | (funded.ended_at >= funded.funded_until - 1e-9)]
    ended = running.ended_at.notna() & (running.ended_at <= running.funded_until + 1.0 + 1e-9)
    return int(ended.sum()), len(running)


def trust_sizes(partnerships: pd.DataFrame) -> np.ndarray:
    """Sizes of the multi-academy trusts of 2+ schools running at the end."""
    trusts = partnerships[(partnerships.kind == "trust") & partnerships.ended_at.isna()]
    return trusts.n_members[trusts.n_members >= 2].to_numpy()


def mean_trust_size(timeseries: pd.DataFrame, year: float) -> float:
    """Schools per multi-academy trust at ``year`` (a school is in one trust at most, and a trust
    left with one school ends)."""
    return value_at(timeseries, "n_schools_in_trust", year) / value_at(timeseries, "n_trust", year)


def conversion_rate(runs: list[dict], share_column: str) -> float:
    """The yearly share of maintained schools (of one phase) that became academies over the first
    ``TRUST_GROWTH_YEARS``, pooled over ``runs``: the fall of the maintained share."""
    maintained = [r["base_timeseries"].assign(maintained=1 - r["base_timeseries"][share_column])
                  for r in runs]
    return -yearly_change(maintained, "maintained")


def yearly_change(timeseries: list[pd.DataFrame], column: str) -> float:
    """The yearly relative change of a count over the first ``TRUST_GROWTH_YEARS``, pooled (the
    counts summed over the runs)."""
    start = sum(value_at(ts, column, 0.0) for ts in timeseries)
    end = sum(value_at(ts, column, TRUST_GROWTH_YEARS) for ts in timeseries)
    if start <= 0:
        return float("nan")
    return float((end / start) ** (1 / TRUST_GROWTH_YEARS) - 1)


def value_at(timeseries: pd.DataFrame, column: str, year: float) -> float:
    """A time-series column at the row nearest ``year``."""
    row = (timeseries.time_years - year).abs().idxmin()
    return float(timeseries.loc[row, column])


def simulate_candidate(values: dict[str, float], seeds: list[int], base_cfg, pf_cfg
                       ) -> tuple[dict, dict[str, float]]:
    """Every simulated quantity of one parameter set, pooled over ``seeds``, and each target's
    standard deviation over the seeds (each seed's runs alone; NaN with fewer than two seeds
    with a value)."""
    runs = [run_seed(base_cfg, pf_cfg, values, seed) for seed in seeds]
    simulated = quantities(runs, base_cfg, pf_cfg)
    seed_sd = dict.fromkeys(TARGETS, float("nan"))
    if len(runs) > 1:
        per_seed = [quantities([run], base_cfg, pf_cfg) for run in runs]
        for name in TARGETS:
            seen = np.array([q[name] for q in per_seed], dtype=float)
            seen = seen[np.isfinite(seen)]
            if len(seen) > 1:
                seed_sd[name] = float(seen.std(ddof=1))
    return simulated, seed_sd


def pooled_seed_sd(results: list[dict]) -> dict[str, float]:
    """Each target's standard deviation over seeds, pooled over ``results`` (the root of the
    mean of their variances; 0 where none was measured). One set's few seeds give a noisy
    estimate, and would favour sets whose seeds happen to disagree."""
    pooled = {}
    for name in TARGETS:
        sd = np.array([r["seed_sd"][name] for r in results], dtype=float)
        sd = sd[np.isfinite(sd)]
        pooled[name] = float(np.sqrt(np.mean(sd**2))) if len(sd) else 0.0
    return pooled


def rescore(result: dict, seed_sd: dict[str, float]) -> dict:
    """``result`` scored again with standard errors seed_sd / sqrt(its seeds)."""
    root = math.sqrt(result["n_seeds"])
    result["standard_error"] = {name: sd / root for name, sd in seed_sd.items()}
    result.update(score(result["simulated"], result["standard_error"]))
    return result


def quantities(runs: list[dict], base_cfg, pf_cfg) -> dict:
    """Every simulated quantity, pooled over ``runs`` (``run_seed``'s tallies)."""
    panel = pd.concat([r["panel"] for r in runs])
    grades = panel[in_historic_window(panel.year)].grade.value_counts(normalize=True)
    transitions = sum(r["transitions"] for r in runs)
    good = transitions[2, 1:].sum()
    ri = transitions[3, 1:].sum()
    inadequate = transitions[4, 1:].sum()

    def ratio(numerator, denominator):
        return float(numerator / denominator) if denominator > 0 else float("nan")

    gaps = {}
    for phase in ("primary", "secondary"):
        by_year = panel[panel.phase == phase].groupby(panel.year.name)
        gaps[phase] = float(np.mean([
            disadvantage_gap(g.pupils.to_numpy(), g.fsm.to_numpy(), g.outcome.to_numpy(),
                             g.gap.to_numpy()) for _, g in by_year]))
    events = pd.concat([funded_member_changes(r["panel"], r["pf_panel"], r["pf_partnerships"])
                        for r in runs], ignore_index=True)
    curve = events.groupby("k").effect.mean() if len(events) else pd.Series(dtype=float)
    window = events[events.k.isin(STRENGTH_YEARS)] if len(events) else events
    by_group = window.groupby("group").effect.mean() if len(window) else pd.Series(dtype=float)
    weaker = float(by_group.get("weaker partner", np.nan))
    stronger = float(by_group.get("stronger partner(s)", np.nan))
    last_time = float(base_cfg.years)
    cliff = [funding_cliff(r["pf_partnerships"], last_time) for r in runs]
    sizes = np.concatenate([trust_sizes(r["base_partnerships"]) for r in runs])
    start_year = float(pf_cfg.funding.start_year)
    return {
        "grade_outstanding": float(grades.get(1, 0.0)),
        "grade_good": float(grades.get(2, 0.0)),
        "grade_requires_improvement": float(grades.get(3, 0.0)),
        "grade_inadequate": float(grades.get(4, 0.0)),
        "good_stays_good": ratio(transitions[2, 2], good),
        "good_to_outstanding": ratio(transitions[2, 1], good),
        "good_to_requires_improvement": ratio(transitions[2, 3], good),
        "good_to_inadequate": ratio(transitions[2, 4], good),
        "ri_to_good_or_better": ratio(transitions[3, 1:3].sum(), ri),
        "inadequate_to_good_or_better": ratio(transitions[4, 1:3].sum(), inadequate),
        "head_turnover": ratio(sum(r["head_leavers"] for r in runs),
                               sum(r["head_years"] for r in runs)),
        "teacher_turnover": float(np.mean([r["teacher_turnover"] for r in runs])),
        "stuck_share": float(np.mean(np.concatenate([r["stuck"] for r in runs])))
        if any(r["stuck"] for r in runs) else float("nan"),
        "gap_primary_months": gaps["primary"],
        "gap_secondary_months": gaps["secondary"],
        "gain_delay_years": gain_delay(curve) if len(curve) else NO_GAIN_DELAY,
        "funded_end_within_year": ratio(sum(c[0] for c in cliff), sum(c[1] for c in cliff)),
        "stronger_partner_gain_months": stronger,
        "weaker_minus_stronger_months": weaker - stronger,
        "trust_size_growth_5_years": float(np.mean([
            mean_trust_size(r["base_timeseries"], TRUST_GROWTH_YEARS)
            - mean_trust_size(r["base_timeseries"], 0.0) for r in runs])),
        "conversion_rate_primary": conversion_rate(runs, "share_academy_primary"),
        "conversion_rate_secondary": conversion_rate(runs, "share_academy_secondary"),
        "standalone_academy_change": yearly_change(
            [r["base_timeseries"] for r in runs], "n_standalone_academies"),
        # reported, not fitted:
        "weaker_partner_gain_months": weaker,
        "n_inspections_good": int(good), "n_inspections_ri": int(ri),
        "n_inspections_inadequate": int(inadequate),
        "n_funded_member_schools": int(events[events.k == 0].shape[0]) if len(events) else 0,
        "n_funded_ended_or_running": int(sum(c[1] for c in cliff)),
        "n_trusts": int(len(sizes)),
        "trusts_up_to_5_schools_at_end": ratio((sizes <= 5).sum(), len(sizes)),
        "trusts_12_or_more_schools_at_end": ratio((sizes >= 12).sum(), len(sizes)),
        "programme_positive_after_years": programme_crossing(
            [r["base_timeseries"] for r in runs], [r["pf_timeseries"] for r in runs], start_year),
        "outcome_spread_months": float(panel.groupby("year").outcome.std().mean()),
        "event_curve": {int(k): round(float(v), 4) for k, v in curve.items()},
    }


def programme_crossing(base_ts: list[pd.DataFrame], pf_ts: list[pd.DataFrame],
                       start_year: float) -> float:
    """Years after the programme starts until the region's mean-outcome difference turns
    positive for good (mean over seeds, yearly); NaN if it never does (reported, not fitted)."""
    diffs = []
    for b, p in zip(base_ts, pf_ts, strict=True):
        b = b.set_index("time_years").mean_outcome
        p = p.set_index("time_years").mean_outcome
        d = (p - b).dropna()
        diffs.append(d[np.isclose(d.index % 1.0, 0) | np.isclose(d.index % 1.0, 1)])
    mean = pd.concat(diffs, axis=1).mean(axis=1)
    mean = mean[mean.index > start_year]
    return float(round(first_year_from_which(mean.index, mean > 0) - start_year, 6))


def score(simulated: dict, standard_error: dict[str, float] | None = None) -> dict:
    """Each target's implausibility, the largest (weight > 0) and the objective."""
    standard_error = standard_error or {}
    implausibility = {name: t.implausibility(simulated[name], standard_error.get(name, 0.0))
                      for name, t in TARGETS.items()}
    fitted = [name for name, t in TARGETS.items() if t.weight > 0]
    return {"implausibility": implausibility,
            "max_implausibility": float(max(implausibility[n] for n in fitted)),
            "objective": float(sum(TARGETS[n].weight * implausibility[n] ** 2 for n in fitted))}


def evaluate(values: dict[str, float], seeds: list[int], base_cfg, pf_cfg) -> dict:
    """One evaluation: the candidate's values, simulated quantities and scores."""
    started = time.perf_counter()
    simulated, seed_sd = simulate_candidate(values, seeds, base_cfg, pf_cfg)
    result = {"values": values, "simulated": simulated, "seed_sd": seed_sd,
              "n_seeds": len(seeds), "seeds": f"{seeds[0]}-{seeds[-1]}" if seeds else ""}
    # Scored with its own seeds' spread; history_match scores it again with the pooled spread.
    rescore(result, {name: 0.0 if math.isnan(sd) else sd for name, sd in seed_sd.items()})
    result["seconds"] = time.perf_counter() - started
    return result


def settings_key(base_cfg, pf_cfg) -> str:
    """A digest of the composed configs every evaluation applies its values to (landscape size,
    years, steps, every default): a kept evaluation is reused only under the same configs."""
    from omegaconf import OmegaConf

    text = OmegaConf.to_yaml(base_cfg) + OmegaConf.to_yaml(pf_cfg)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def kept_path(kept: Path, settings: str, values: dict[str, float], seeds: list[int]) -> Path:
    """Where one evaluation is kept: named by its configs, values and seeds."""
    text = json.dumps({"settings": settings, "values": values, "seeds": seeds}, sort_keys=True)
    return kept / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}.json"


def evaluate_kept(values: dict[str, float], seeds: list[int], base_cfg, pf_cfg,
                  kept: Path | None = None, settings: str = "") -> dict:
    """``evaluate``, kept as a file in ``kept`` the moment it finishes (written whole, then
    renamed), or read back from there if an interrupted run already finished it. Every result
    goes through the file's JSON, so a resumed run's results are exactly an uninterrupted run's.
    Without ``kept``, plain ``evaluate``."""
    if kept is None:
        return evaluate(values, seeds, base_cfg, pf_cfg)
    path = kept_path(kept, settings, values, seeds)
    if not path.is_file():
        result = evaluate(values, seeds, base_cfg, pf_cfg)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(result, default=lambda v: v.item()))  # numpy scalars
        partial.replace(path)
    result = json.loads(path.read_text())
    curve = result["simulated"]["event_curve"]  # JSON keys are text; the years are whole
    result["simulated"]["event_curve"] = {int(k): v for k, v in curve.items()}
    return result


# -- history matching -----------------------------------------------------------------------------
def default_values(base_cfg) -> dict[str, float]:
    """The current defaults of the free parameters (from conf/rules)."""
    from omegaconf import OmegaConf

    return {key: float(OmegaConf.select(base_cfg, key)) for key in FREE}


def bounds() -> tuple[np.ndarray, np.ndarray]:
    """The free parameters' lower and upper bounds, in ``FREE``'s order."""
    return (np.array([FREE[k][0] for k in FREE]), np.array([FREE[k][1] for k in FREE]))


def fit_emulators(results: list[dict]) -> dict[str, QuadraticEmulator]:
    """One emulator per fitted target, on every set evaluated on the search seeds so far."""
    low, high = bounds()
    searched = [r for r in results if r.get("stage", "search") == "search"]
    unit = (np.array([[r["values"][k] for k in FREE] for r in searched]) - low) / (high - low)
    return {name: QuadraticEmulator(unit, np.array([r["simulated"][name] for r in searched],
                                                   dtype=float))
            for name, t in TARGETS.items() if t.weight > 0}


def emulated_implausibility(emulators: dict[str, QuadraticEmulator], unit: np.ndarray
                            ) -> np.ndarray:
    """Each point's largest implausibility as the emulators see it: the distance of the emulated
    value from the evidence over sqrt(tolerance^2 + emulator error^2) (the error, measured
    leave-one-out on 5-seed means, stands in for the seed spread too)."""
    worst = np.zeros(len(unit))
    for name, emulator in emulators.items():
        t, m = TARGETS[name], emulator.predict(unit)
        distance = np.maximum(np.maximum(t.low - m, m - t.high), 0.0)
        worst = np.maximum(worst, distance / math.hypot(t.tolerance, emulator.error))
    return worst


def wave_cut(wave: int) -> float:
    """The emulators' cut for a wave: ``CUT`` at wave 2, one less each wave, and 1 from wave 4
    on: the first waves narrow the region nearer to fitting every target, as ABC-SMC lowers its
    tolerance, and every later wave samples where a fit is expected (on fresh seeds only about
    one in ten of those sets fits every target at once, so most of the run is spent there)."""
    return max(1.0, CUT - (wave - 2))


def wave_seeds(seeds: list[int], wave: int) -> list[int]:
    """A wave's seeds: as many as ``seeds``, fresh for each wave (wave 1 runs ``seeds``). Within a
    wave every set runs on the same seeds (common random numbers: fair comparisons); across waves
    the seeds change, so the emulators, fitted to every wave, learn the model rather than one
    handful of seeds' luck (which every set would otherwise share)."""
    return [seed + (wave - 1) * len(seeds) for seed in seeds]


def plausible_sample(emulators: dict[str, QuadraticEmulator], n: int, cut: float, seed: int,
                     pool: int = 20_000, rounds: int = 10) -> tuple[np.ndarray, float]:
    """``n`` points on the unit cube drawn at random from those the emulators keep (emulated
    implausibility <= ``cut``), and the share of a uniform pool they keep (the non-implausible
    share of the space). The region can be a tiny share of 17 dimensions: while fewer than
    10 x ``n`` points are kept, more are drawn around the kept ones (Gaussian, their spread per
    parameter) and screened in turn. If still fewer than ``n`` are kept, the ``n`` with the
    smallest emulated implausibility are returned."""
    rng = np.random.default_rng(seed)
    points = rng.random((pool, len(FREE)))
    worst = emulated_implausibility(emulators, points)
    share = float(np.mean(worst <= cut))
    for _ in range(rounds):
        kept = worst <= cut
        if kept.sum() >= 10 * n:
            break
        parents = points[kept] if kept.sum() >= 10 else points[np.argsort(worst)[:100]]
        children = parents[rng.integers(len(parents), size=pool)]
        children = np.clip(children + rng.normal(size=children.shape) * parents.std(axis=0), 0, 1)
        points = np.vstack([points[kept], children])
        worst = np.concatenate([worst[kept], emulated_implausibility(emulators, children)])
    kept = np.flatnonzero(worst <= cut)
    if len(kept) >= n:
        return points[rng.choice(kept, size=n, replace=False)], share
    return points[np.argsort(worst)[:n]], share


def history_match(waves: int, per_wave: int, seeds: list[int], base_cfg, pf_cfg,
                  sampler_seed: int = 0, n_jobs: int = 1, log=print, kept: Path | None = None
                  ) -> tuple[list[dict], list]:
    """Waves of samples: wave 1 a Latin hypercube over the bounds; each later
    wave ``per_wave`` sets the emulators, fitted to every set so far, keep under ``wave_cut``
    (module docstring); wave w runs ``wave_seeds(seeds, w)``. Returns every evaluation in order
    and each wave's summary. Evaluations are kept in ``kept`` (``evaluate_kept``): the waves are
    deterministic given the evaluations, so a resumed run draws the same sets and reuses them."""
    from joblib import Parallel, delayed

    keys = list(FREE)
    low, high = bounds()
    settings = settings_key(base_cfg, pf_cfg) if kept else ""
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")  # log each as it finishes
    done: list[dict] = []
    waves_done = []
    for wave in range(1, waves + 1):
        started = time.perf_counter()
        cut, share, errors = None, 1.0, {}
        if wave == 1:
            rows = latin_hypercube(per_wave, low, high, sampler_seed + wave)
        else:
            emulators = fit_emulators(done)
            cut = wave_cut(wave)
            unit, share = plausible_sample(emulators, per_wave, cut, sampler_seed + wave)
            rows = low + unit * (high - low)
            errors = {name: round(e.error, 6) for name, e in emulators.items()}
        # Rounded as stored (ensemble.csv, fitted.yaml): every set is exactly what was simulated.
        points = [{k: round_value(float(v)) for k, v in zip(keys, row, strict=True)}
                  for row in rows]
        these_seeds = wave_seeds(seeds, wave)
        for r in parallel(delayed(evaluate_kept)(p, these_seeds, base_cfg, pf_cfg, kept, settings)
                          for p in points):
            r["wave"], r["stage"] = wave, "search"
            done.append(r)
            log(f"[wave {wave}] max implausibility {r['max_implausibility']:.2f}, objective "
                f"{r['objective']:.2f} ({r['seconds']:.0f} s; own seeds' spread)", flush=True)
        pool_scores(done)  # the wave's counts use the pooled spread
        this = [r for r in done if r["wave"] == wave]
        waves_done.append({"wave": wave, "seeds": these_seeds, "emulator_cut": cut,
                           "plausible_share": share,
                           "emulator_error": errors,
                           "seconds": round(time.perf_counter() - started, 1),
                           "evaluations": len(points),
                           "within_cut": sum(r["max_implausibility"] <= CUT for r in this),
                           "within_tolerance": sum(r["max_implausibility"] <= 1 for r in this)})
    return done, waves_done


def set_key(result: dict) -> tuple:
    """The parameter set an evaluation ran, as a key (the same set on other seeds: the same key)."""
    return tuple(result["values"][k] for k in sorted(result["values"]))


def distinct(results: list[dict]) -> list[dict]:
    """Each parameter set once (its first evaluation)."""
    first: dict[tuple, dict] = {}
    for r in results:
        first.setdefault(set_key(r), r)
    return list(first.values())


def confirm(searched: list[dict], members: int, seeds: list[int], base_cfg, pf_cfg,
            n_jobs: int = 1, log=print, kept: Path | None = None) -> list[dict]:
    """The sets the search found plausible, evaluated again on fresh ``seeds``: every set within
    ``SCREEN_CUT`` on the search seeds, and at least the 2 x ``members`` with the smallest largest
    implausibility. Selecting the best of hundreds of noisy evaluations favours sets whose seeds
    were lucky (the winner's curse); seeds that played no part in choosing them are not."""
    from joblib import Parallel, delayed

    ranked = sorted(distinct(searched), key=lambda r: r["max_implausibility"])
    chosen = [r for i, r in enumerate(ranked)
              if r["max_implausibility"] <= SCREEN_CUT or i < 2 * members]
    settings = settings_key(base_cfg, pf_cfg) if kept else ""
    confirmed = []
    for found, r in zip(chosen, Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(evaluate_kept)(c["values"], seeds, base_cfg, pf_cfg, kept, settings)
            for c in chosen), strict=True):
        r["wave"], r["stage"] = found["wave"], "confirm"
        confirmed.append(r)
        log(f"[confirm] max implausibility {found['max_implausibility']:.2f} -> "
            f"{r['max_implausibility']:.2f} ({r['seconds']:.0f} s; own seeds' spread)", flush=True)
    return confirmed


def pool_scores(results: list[dict]) -> dict[str, float]:
    """Score every result again with the seed spread pooled over all of them; return it."""
    seed_sd = pooled_seed_sd(results)
    for r in results:
        rescore(r, seed_sd)
    return seed_sd


def judged(results: list[dict]) -> list[dict]:
    """The evaluations acceptance judges, each set once: those on the confirmation seeds, or
    those on the search seeds if there was no confirmation."""
    confirmed = [r for r in results if r.get("stage") == "confirm"]
    return distinct(confirmed or results)


def score_every_seed(results: list[dict]) -> None:
    """Each confirmed set scored on every seed it ran, search and confirmation together (its
    simulated values averaged, weighted by seeds; the standard errors shrink with the seeds), as
    ``objective_every_seed``. Ranking on twice the seeds halves the variance that picks a lucky
    member 0 (the winner's curse: the best of hundreds on five seeds alone)."""
    confirmed = [r for r in results if r.get("stage") == "confirm" and "simulated" in r]
    if not confirmed:
        return
    seed_sd = pooled_seed_sd(results)
    searched = {set_key(r): r for r in distinct(results)
                if r.get("stage", "search") == "search" and "simulated" in r}
    for r in confirmed:
        runs = [r] + ([searched[set_key(r)]] if set_key(r) in searched else [])
        n_seeds = sum(run["n_seeds"] for run in runs)
        simulated = {}
        for name in TARGETS:
            seen = [(run["simulated"][name], run["n_seeds"]) for run in runs
                    if run["simulated"][name] is not None
                    and math.isfinite(run["simulated"][name])]
            simulated[name] = (sum(v * n for v, n in seen) / sum(n for _, n in seen)
                               if seen else float("nan"))
        standard_error = {name: sd / math.sqrt(n_seeds) for name, sd in seed_sd.items()}
        r["objective_every_seed"] = score(simulated, standard_error)["objective"]


def accept(results: list[dict], members: int) -> tuple[list[dict], float]:
    """The accepted sets, best first, and the largest implausibility allowed, judged on the
    confirmation seeds (on the search seeds if there was no confirmation): every set within
    tolerance of every target (1), or, if fewer than ``members`` are, the ``members`` sets with
    the smallest largest implausibility (the relaxed rule). A set evaluated twice counts once (its
    first evaluation). Best is the lowest objective on every seed the set ran
    (``score_every_seed``; on the judged seeds alone where it has none)."""
    score_every_seed(results)
    results = judged(results)

    def best_first(sets: list[dict]) -> list[dict]:
        return sorted(sets, key=lambda r: r.get("objective_every_seed", r["objective"]))

    strict = [r for r in results if r["max_implausibility"] <= 1.0]
    if len(strict) >= members:
        return best_first(strict), 1.0
    chosen = sorted(results, key=lambda r: r["max_implausibility"])[:members]
    cut = max(r["max_implausibility"] for r in chosen)
    return best_first(chosen), float(cut)


# -- outputs --------------------------------------------------------------------------------------
def round_value(value: float) -> float:
    """Three significant figures: the search cannot resolve more."""
    return float(f"{value:.3g}")


def write_fitted(path: Path, values: dict[str, float], header: dict) -> Path:
    """Write the fitted values as a Hydra option of the ``calibration`` group (package _global_).

    Written to the project's ``conf/calibration/fitted.yaml`` they become the defaults: the rule
    configs and ``conf/calibration/none.yaml`` are regenerated from them (``sim.config.generate``)."""
    from sim.config import generate as configgen

    lines = ["# @package _global_",
             "# Fitted by sim/experiments/calibration.py (member 0 of conf/calibration/ensemble.csv).",
             "# These are the defaults: python -m sim.config.generate writes them into",
             "# conf/rules/*/default.yaml; `python -m sim +calibration=none` runs the uncalibrated",
             "# assumptions instead. See docs/calibration.md.",
             *(f"# {key}: {value}" for key, value in header.items()),
             "rules:"]
    groups: dict[str, dict[str, float]] = {}
    for key, value in values.items():
        _, rule, param = key.split(".")
        groups.setdefault(rule, {})[param] = round_value(value)
    for rule, params in groups.items():
        lines.append(f"  {rule}:")
        lines += [f"    {param}: {value}" for param, value in params.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    if path.resolve() == configgen.FITTED.resolve():
        configgen.write_files(log=lambda *_: None)
    return path


def fitted_overrides(path: Path) -> list[str]:
    """The fitted file as plain Hydra overrides (``rules.<rule>.<param>=<value>``)."""
    import yaml

    data = yaml.safe_load(Path(path).read_text())
    return [f"rules.{rule}.{param}={value}" for rule, params in data["rules"].items()
            for param, value in params.items()]


def ensemble_table(accepted: list[dict]) -> pd.DataFrame:
    """The accepted sets, one row each (member 0 first): scores, values (3 significant figures)
    and every simulated target."""
    rows = []
    for i, r in enumerate(accepted):
        row = {"member": i, "wave": r.get("wave", 0), "objective": round(r["objective"], 4),
               "objective_every_seed": round(r.get("objective_every_seed", r["objective"]), 4),
               "max_implausibility": round(r["max_implausibility"], 4)}
        row.update({key: round_value(v) for key, v in r["values"].items()})
        row.update({f"sim:{name}": r["simulated"][name] for name in TARGETS})
        rows.append(row)
    return pd.DataFrame(rows)


def evaluations_table(results: list[dict]) -> pd.DataFrame:
    """Every evaluation: wave, scores, values, implausibilities and simulated quantities."""
    return pd.DataFrame([{
        "wave": r.get("wave", 0), "stage": r.get("stage", "search"), "objective": r["objective"],
        "max_implausibility": r["max_implausibility"], "seconds": r["seconds"], **r["values"],
        **{f"imp:{k}": v for k, v in r["implausibility"].items()},
        **{f"sd:{k}": v for k, v in r.get("seed_sd", {}).items()},
        **{f"se:{k}": v for k, v in r.get("standard_error", {}).items()},
        "n_seeds": r.get("n_seeds", 1), "seeds": r.get("seeds", ""),
        **{f"sim:{k}": (json.dumps(v) if k == "event_curve" else v)
           for k, v in r["simulated"].items()}} for r in results])


def target_table(accepted: list[dict], cut: float, holdout: dict | None = None) -> pd.DataFrame:
    """Every target: evidence, tolerance, member 0 (and on holdout seeds), the ensemble's range,
    and how many members are within tolerance."""
    rows = []
    for name, t in TARGETS.items():
        values = pd.Series([r["simulated"][name] for r in accepted], dtype=float)
        within = [r["implausibility"][name] <= 1 for r in accepted]
        rows.append({
            "target": name,
            "evidence": evidence_text(t),
            "tolerance": t.tolerance, "unit": t.unit, "weight": t.weight,
            "member 0": accepted[0]["simulated"][name],
            "member 0 s.e.": accepted[0].get("standard_error", {}).get(name, 0.0),
            **({"member 0 (holdout)": holdout["simulated"][name]} if holdout else {}),
            "ensemble min": values.min(), "ensemble max": values.max(),
            "members within tolerance": f"{sum(within)}/{len(accepted)}"})
    return pd.DataFrame(rows)


def figures(results: list[dict], accepted: list[dict], out: Path, cut: float) -> list[Path]:
    """Three PNGs: every target against the ensemble, gain timing, the waves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    names = list(TARGETS)

    def signed(r, name):
        t, v = TARGETS[name], r["simulated"][name]
        if v is None or not math.isfinite(v):
            return np.nan
        return (v - t.high) / t.tolerance if v > t.high else min(0.0, (v - t.low) / t.tolerance)

    fig, ax = plt.subplots(figsize=(8, 7))
    y = np.arange(len(names))
    ax.axvspan(-1, 1, color="green", alpha=0.15, label="within tolerance")
    for i, r in enumerate(accepted):
        ax.scatter([signed(r, n) for n in names], y, s=10, color="tab:blue", alpha=0.5,
                   label=f"{len(accepted)} accepted sets" if i == 0 else None)
    ax.scatter([signed(accepted[0], n) for n in names], y, marker="*", s=90, color="tab:red",
               label="member 0 (the default)")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("distance from the evidence in tolerances (0 = on target or inside the range)")
    ax.set_title(f"Calibration targets: the ensemble (largest implausibility <= {cut:.2f})",
                 fontsize=11)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    paths.append(out / "calibration_targets.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    for i, r in enumerate(accepted):
        curve = {int(k): v for k, v in r["simulated"]["event_curve"].items()}  # JSON keys
        if curve:
            ks = sorted(curve)
            ax.plot(ks, [curve[k] for k in ks], color="tab:red" if i == 0 else "tab:blue",
                    lw=2 if i == 0 else 0.6, alpha=1 if i == 0 else 0.4,
                    label="member 0" if i == 0 else ("other members" if i == 1 else None))
    ax.axhline(0, color="black", lw=0.8)
    ax.axvspan(2, 4, color="green", alpha=0.15, label="gains appear (Chapman et al. 2011)")
    ax.set_xlabel("years since the partnership formed (event year k)")
    ax.set_ylabel("member outcome, pathfinder − baseline (months)")
    ax.set_title("Gain timing: schools in funded partnerships vs the same schools unfunded")
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "calibration_gain_timing.png")
    fig.savefig(paths[-1], dpi=90)
    plt.close(fig)

    keys = list(FREE)
    fig, axes = plt.subplots(3, math.ceil(len(keys) / 3), figsize=(11, 7.5), sharey=True)
    results = [r for r in results if r.get("stage", "search") == "search"]
    worst = np.array([r["max_implausibility"] for r in results])
    waves = np.array([r.get("wave", 1) for r in results])
    accepted_sets = [r["values"] for r in accepted]
    chosen = np.array([r["values"] in accepted_sets for r in results])
    for ax, key in zip(axes.flat, keys, strict=False):
        xs = np.array([r["values"][key] for r in results])
        ax.scatter(xs, worst, c=waves, s=8, alpha=0.6, cmap="viridis")
        ax.scatter(xs[chosen], worst[chosen], s=14, facecolors="none", edgecolors="red")
        ax.axhline(cut, color="red", lw=0.8)
        ax.set_yscale("log")
        ax.set_xlabel(key.split(".", 1)[1], fontsize=7)
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    axes[0, 0].set_ylabel("largest implausibility")
    fig.suptitle("History matching: every set on the search seeds by wave (colour), accepted "
                 "sets circled, acceptance cut in red", fontsize=10)
    fig.tight_layout()
    paths.append(out / "calibration_waves.png")
    fig.savefig(paths[-1], dpi=80)
    plt.close(fig)
    return paths


def results_from_csv(path: Path) -> list[dict]:
    """Evaluations read back from ``evaluations.csv`` (for --replot)."""
    table = pd.read_csv(path)
    results = []
    for _, row in table.iterrows():
        simulated = {c[4:]: row[c] for c in table.columns if c.startswith("sim:")}
        simulated["event_curve"] = json.loads(simulated["event_curve"])
        results.append({"values": {k: row[k] for k in FREE}, "wave": int(row["wave"]),
                        "stage": row["stage"] if "stage" in table else "search",
                        "objective": row["objective"],
                        "max_implausibility": row["max_implausibility"],
                        "implausibility": {c[4:]: row[c] for c in table.columns
                                           if c.startswith("imp:")},
                        "standard_error": {c[3:]: row[c] for c in table.columns
                                           if c.startswith("se:")},
                        "seed_sd": {c[3:]: row[c] for c in table.columns if c.startswith("sd:")},
                        "n_seeds": int(row["n_seeds"]) if "n_seeds" in table else 1,
                        "seeds": str(row["seeds"]) if "seeds" in table else "",
                        "simulated": simulated})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.calibrate",
                                     description=__doc__.split("\n\n")[0])
    # The defaults are the full run documented in docs/calibration.md.
    parser.add_argument("--waves", type=int, default=7, help="history-matching waves")
    parser.add_argument("--per-wave", type=int, default=130, help="parameter sets per wave")
    parser.add_argument("--seeds", type=int, default=5,
                        help="seeds per set: 0..n-1 in wave 1, n..2n-1 in wave 2, and so on")
    parser.add_argument("--members", type=int, default=30,
                        help="accepted sets wanted (the relaxed rule keeps this many)")
    parser.add_argument("--n-schools", type=int, default=300)
    parser.add_argument("--years", type=float, default=15.0, help="years after time 0")
    parser.add_argument("--spinup-years", type=float, default=None,
                        help="spin-up length (default: the model's, 60 years)")
    parser.add_argument("--steps-per-year", type=int, default=12)
    parser.add_argument("--sampler-seed", type=int, default=0)
    parser.add_argument("--confirm-seeds", type=int, default=5,
                        help=f"fresh seeds ({CONFIRM_SEED}, ...) on which the plausible sets are "
                             "evaluated again and accepted; 0: accept on the search seeds")
    parser.add_argument("--holdout-seeds", type=int, default=4,
                        help="fresh seeds (1000, ...) on which member 0 is evaluated again; 0: none")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel evaluations (joblib)")
    parser.add_argument("--out", default="results/calibration", help="evaluations and summary")
    parser.add_argument("--fitted", default=str(PROJECT_DIR / "conf/calibration/fitted.yaml"),
                        help="where to write member 0 ('' for nowhere)")
    parser.add_argument("--ensemble", default=str(ENSEMBLE),
                        help="where to write the accepted sets ('' for nowhere)")
    parser.add_argument("--figures", default=str(PROJECT_DIR / "docs/figures"))
    parser.add_argument("--replot", action="store_true",
                        help="only redraw the figures from <out>/evaluations.csv and summary.json")
    parser.add_argument("--check", nargs="+", metavar="KEY=VALUE", default=None,
                        help="only evaluate one set: the defaults with these free parameters "
                             "changed, on the --seeds seeds, scored with the seed spread pooled "
                             "over <out>/evaluations.csv when there is one; writes nothing")
    parser.add_argument("--reaccept", action="store_true",
                        help="apply the acceptance rule again to <out>/evaluations.csv (no "
                             "simulation) and rewrite the ensemble, member 0 and the figures")
    args = parser.parse_args(argv)
    if args.years < HISTORIC_WINDOW[1]:
        parser.error(f"--years {args.years:g}: must be at least {HISTORIC_WINDOW[1]:g}, the end of "
                     f"the window the grade mix is read over (HISTORIC_WINDOW)")
    if args.waves * args.seeds > CONFIRM_SEED:
        parser.error(f"--waves {args.waves} x --seeds {args.seeds}: each wave runs fresh seeds, "
                     f"and together they must stay below the confirmation seeds "
                     f"({CONFIRM_SEED}, ...): at most {CONFIRM_SEED} seeds in all")
    out = Path(args.out)
    if args.check is not None:
        return check_one(args, out)
    if args.replot or args.reaccept:
        for name in ("summary.json", "evaluations.csv"):
            if not (out / name).is_file():
                print(f"{out / name}: missing; it is written by a calibration run "
                      f"(python -m sim.calibrate --out {out})", file=sys.stderr)
                return 2
        summary = json.loads((out / "summary.json").read_text())
        results = results_from_csv(out / "evaluations.csv")
        accepted, cut = accept(results, summary["settings"]["members"])
        if args.reaccept:
            if accepted[0]["values"] != summary["member0"]["values"]:
                summary["holdout"] = {"seeds": 0, "seconds": 0.0, "member0": None}
            summary["acceptance"].update(
                rule=acceptance_rule(results, accepted, cut), cut=cut, accepted=len(accepted))
            summary["member0"] = accepted[0]
            (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
            write_outputs(args, accepted, summary)
        figures(results, accepted, Path(args.figures), cut)
        return 0
    from sim.experiments.execution import sigterm_as_interrupt

    kept = out / "finished"
    try:
        kept.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"--out {out}: cannot write there ({error.strerror})", file=sys.stderr)
        return 2
    finished = len(list(kept.glob("*.json")))
    if finished:
        print(f"Resuming: {finished} finished evaluations kept in {kept} are reused where this "
              "run needs them.", flush=True)
    try:
        with sigterm_as_interrupt():
            return calibrate(args, out, kept)
    except KeyboardInterrupt:
        print(f"\nInterrupted. Finished evaluations are kept in {kept}; run the same command to "
              "resume.", file=sys.stderr)
        return 130


def calibrate(args, out: Path, kept: Path) -> int:
    """The full run of ``main``: waves, confirmation, acceptance, holdout check, outputs. Every
    evaluation is kept in ``kept`` as it finishes; the folder is removed once the outputs are
    written."""
    import logging
    import shutil

    logging.getLogger("MESA").setLevel(logging.WARNING)
    started = time.perf_counter()
    base_cfg, pf_cfg = base_configs(args.n_schools, args.years, args.spinup_years,
                                    args.steps_per_year)
    seeds = list(range(args.seeds))
    results, waves = history_match(args.waves, args.per_wave, seeds, base_cfg, pf_cfg,
                                   args.sampler_seed, args.n_jobs, kept=kept)
    confirm_seeds = list(range(CONFIRM_SEED, CONFIRM_SEED + args.confirm_seeds))
    confirm_started = time.perf_counter()
    if confirm_seeds:
        results += confirm(results, args.members, confirm_seeds, base_cfg, pf_cfg, args.n_jobs,
                           kept=kept)
        pool_scores(results)  # one seed spread, pooled over every evaluation
    confirm_s = time.perf_counter() - confirm_started
    accepted, cut = accept(results, args.members)
    holdout, holdout_s = None, 0.0
    if args.holdout_seeds > 0:
        check_started = time.perf_counter()
        holdout = evaluate_kept(accepted[0]["values"],
                                list(range(1000, 1000 + args.holdout_seeds)), base_cfg, pf_cfg,
                                kept, settings_key(base_cfg, pf_cfg))
        rescore(holdout, pooled_seed_sd(results))
        holdout_s = time.perf_counter() - check_started
    wall = time.perf_counter() - started
    evaluations_table(results).to_csv(out / "evaluations.csv", index=False)
    table = target_table(accepted, cut, holdout)
    table.to_csv(out / "targets.csv", index=False)
    sets_judged = judged(results)
    strict = sum(r["max_implausibility"] <= 1 for r in sets_judged)
    rule = acceptance_rule(results, accepted, cut)
    settings = {"waves": args.waves, "per_wave": args.per_wave, "seeds": seeds,
                "confirm_seeds": confirm_seeds,
                "members": args.members, "n_schools": args.n_schools, "years": args.years,
                "spinup_years": args.spinup_years or "model default (60)",
                "steps_per_year": args.steps_per_year, "sampler_seed": args.sampler_seed,
                "historic_regime": HISTORIC_REGIME, "n_jobs": args.n_jobs,
                "wall_s": round(wall, 1)}
    summary = {"created": datetime.now(UTC).isoformat(timespec="seconds"), "settings": settings,
               "free": {k: list(v[:2]) for k, v in FREE.items()},
               "acceptance": {"rule": rule, "cut": cut, "accepted": len(accepted),
                              "within_every_tolerance": strict, "evaluations": len(results),
                              "confirmed": len(sets_judged) if confirm_seeds else 0,
                              "confirm_seconds": round(confirm_s, 1)},
               "waves": waves, "holdout": {"seeds": args.holdout_seeds, "seconds": holdout_s,
                                           "member0": holdout},
               "member0": accepted[0]}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    if args.figures:
        figures(results, accepted, Path(args.figures), cut)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    for w in waves:
        print(f"wave {w['wave']}: {w['evaluations']} sets, {w['within_cut']} within the cut "
              f"{CUT:g}, {w['within_tolerance']} within every tolerance, {w['seconds']:.0f} s")
    print(f"acceptance: {rule}; member 0 objective {accepted[0]['objective']:.3f}"
          + (f" ({holdout['objective']:.3f} on holdout seeds)" if holdout else "")
          + f"; wall {wall:.0f} s")
    write_outputs(args, accepted, summary)
    shutil.rmtree(kept)  # everything is in the outputs now
    return 0


def check_one(args, out: Path) -> int:
    """``--check``: one set's every target, simulated value and implausibility, printed."""
    values = {}
    for item in args.check:
        key, sep, text = item.partition("=")
        if key not in FREE or not sep:
            print(f"--check {item}: expected KEY=VALUE with KEY one of the free parameters: "
                  f"{', '.join(FREE)}", file=sys.stderr)
            return 2
        low, high = FREE[key][:2]
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low <= value <= high:
            print(f"--check {item}: {key} must be a number from {low:g} to {high:g} (its "
                  "bounds)", file=sys.stderr)
            return 2
        values[key] = value
    base_cfg, pf_cfg = base_configs(args.n_schools, args.years, args.spinup_years,
                                    args.steps_per_year)
    values = {**default_values(base_cfg), **values}
    result = evaluate(values, list(range(args.seeds)), base_cfg, pf_cfg)
    spread = "its own seeds' spread"
    if (out / "evaluations.csv").is_file():
        rescore(result, pooled_seed_sd(results_from_csv(out / "evaluations.csv")))
        spread = f"the seed spread pooled over {out / 'evaluations.csv'}"
    rows = [{"target": name, "evidence": evidence_text(target), "simulated":
             result["simulated"][name], "s.e.": result["standard_error"][name],
             "implausibility": result["implausibility"][name]}
            for name, target in TARGETS.items()]
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    missed = [r["target"] for r in rows if r["implausibility"] > 1
              and TARGETS[r["target"]].weight > 0]
    print(f"seeds 0-{args.seeds - 1}, scored with {spread}: largest implausibility "
          f"{result['max_implausibility']:.2f}; objective {result['objective']:.2f}; "
          + (f"misses {', '.join(missed)}" if missed else "within every tolerance"))
    return 0


def evidence_text(target: Target) -> str:
    """A target's figure as text: a point, or a range (an end may be open)."""
    if target.low == target.high:
        return f"{target.low:g}"
    if math.isinf(target.high):
        return f">= {target.low:g}"
    return f"{target.low:g}-{target.high:g}"


def acceptance_rule(results: list[dict], accepted: list[dict], cut: float) -> str:
    """The acceptance rule used, in words."""
    strict = sum(r["max_implausibility"] <= 1 for r in judged(results))
    return ("every target within tolerance" if cut <= 1 else
            f"relaxed: only {strict} sets met every tolerance, so the {len(accepted)} with the "
            f"smallest largest implausibility were accepted (cut {cut:.2f})")


def write_outputs(args, accepted: list[dict], summary: dict) -> None:
    """The accepted sets to ``--ensemble`` and member 0 to ``--fitted`` (with its header)."""
    settings, holdout = summary["settings"], summary["holdout"]["member0"]
    header = {"created": summary["created"], "acceptance": summary["acceptance"]["rule"],
              "objective": f"{accepted[0]['objective']:.3f} (largest implausibility "
                           f"{accepted[0]['max_implausibility']:.2f}) on seeds "
                           f"{settings.get('confirm_seeds') or settings['seeds']}"
                           + (f"; {holdout['objective']:.3f} on {summary['holdout']['seeds']} "
                              "holdout seeds" if holdout else ""),
              "search": ", ".join(f"{k}={v}" for k, v in settings.items())}
    if args.ensemble:
        path = Path(args.ensemble)
        path.parent.mkdir(parents=True, exist_ok=True)
        ensemble_table(accepted).to_csv(path, index=False)
        print(f"{len(accepted)} accepted sets written to {path}")
    if args.fitted:
        path = write_fitted(Path(args.fitted), accepted[0]["values"], header)
        print(f"member 0 written to {path}" + (
            ": the defaults (conf/rules/*/default.yaml regenerated)"
            if path.resolve() == (PROJECT_DIR / "conf/calibration/fitted.yaml").resolve()
            else "; apply with:\n  python -m sim " + " ".join(fitted_overrides(path))))


if __name__ == "__main__":
    sys.exit(main())
