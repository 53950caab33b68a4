"""docs/calibration.md's figures, generated: reads what the last calibration and the ensemble policy
sweep wrote and rewrites the page's marked blocks in place (``BLOCKS``), each with the command,
date, commit and inputs that produced it.

    python -m sim.calibrate ...                               # results/calibration/, the ensemble
    python -m sim.sweep experiments/ensemble_policies.yaml    # results/ensemble_policies/
    PYTHONPATH=$PWD python scripts/calibration_tables.py      # then this: a few seconds
    PYTHONPATH=$PWD python scripts/calibration_tables.py --print   # look, rewrite nothing

What it reads:

* ``<results>/summary.json``, ``targets.csv``, ``evaluations.csv`` (``python -m sim.calibrate``,
  ``sim/experiments/calibration.py``): the waves, the acceptance rule, member 0 on the search and
  holdout seeds, every target against the ensemble, every evaluated set;
* ``<ensemble>`` (``conf/calibration/ensemble.csv``): the accepted sets, member 0 first;
* ``conf/calibration/none.yaml``: the uncalibrated assumptions of the free parameters;
* the sweep's store (``sim.load_results``): the effects over the ensemble's members as the sweep's
  report computes them (``sim.views.report.ensemble_table``).

Missing inputs, or a store whose runs used other parameter sets than the ensemble, stop it with one
line naming the file and the command that makes it (exit 2), before anything is computed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.paired import paired_differences
from sim.config import compose
from sim.core.paths import CONF_DIR, PROJECT_DIR
from sim.experiments.calibration import (
    CUT,
    FREE,
    SCREEN_CUT,
    TARGETS,
    accept,
    default_values,
    fitted_overrides,
    results_from_csv,
)
from sim.experiments.ensemble import ENSEMBLE
from sim.views.briefing import HEADLINE
from sim.views.formatting import label
from sim.views.generated_text import (
    Markers,
    git_state,
    has_nan,
    list_item,
    markdown,
    today,
)
from sim.views.report import ensemble_table

SCRIPT = "scripts/calibration_tables.py"
DOC = PROJECT_DIR / "docs" / "calibration.md"
RESULTS = PROJECT_DIR / "results" / "calibration"
STORE = PROJECT_DIR / "results" / "ensemble_policies"
UNCALIBRATED = CONF_DIR / "calibration" / "none.yaml"
CALIBRATE = "python -m sim.calibrate"
SWEEP = "python -m sim.sweep experiments/ensemble_policies.yaml"
BLOCKS = {name: Markers(f"calibration-{name}", SCRIPT)
          for name in ("run", "targets", "pairs", "parameters", "policies", "caveats")}
PAIRS_SHOWN = 6  # pairs of targets that pull hardest against each other
PAIR_MIN_PRODUCT = 0.02  # pairs rarer than this if independent say nothing
MIN_CORRELATION = 0.5  # |Spearman rho| of a free parameter with a target's simulated value


# -- inputs ---------------------------------------------------------------------------------------
def missing_input(results: Path, ensemble: Path, store: Path, doc: Path) -> str | None:
    """One line on the first input that is missing, or None."""
    needed = [(results / name, CALIBRATE) for name in ("summary.json", "targets.csv",
                                                        "evaluations.csv")]
    needed += [(ensemble, CALIBRATE), (UNCALIBRATED, "python -m sim.config.generate"),
               (store / "sweep.json", SWEEP), (store / "plan.parquet", SWEEP)]
    for path, command in needed:
        if not path.is_file():
            return f"{path}: missing; it is written by `{command}`"
    try:
        text = doc.read_text()
        for markers in BLOCKS.values():
            markers.check(text)
    except (OSError, ValueError) as error:
        return f"{doc}: {error}"
    return None


def stale_store(store: Path, ensemble: pd.DataFrame) -> str | None:
    """One line if the store's runs used other parameter sets than the ensemble's first members
    (a sweep of an earlier calibration), else None."""
    from sim.storage.store import Store

    plan = Store(store).read_plan()
    members = plan[plan.member >= 0].drop_duplicates("member").set_index("member").sort_index()
    if members.empty:
        return f"{store}: not a sweep over the ensemble (parameter_sets: ensemble); run `{SWEEP}`"
    for key in FREE:
        ran = members[f"param:{key}"].to_numpy()
        if len(ran) > len(ensemble) or not np.allclose(ran, ensemble[key].to_numpy()[:len(ran)]):
            return (f"{store}: its runs used other parameter sets ({key}) than the ensemble; "
                    f"run `{SWEEP}` again")
    return None


def read_inputs(results: Path, ensemble_path: Path, store: Path) -> dict:
    """Everything the blocks need, computed from the files."""
    import sim

    summary = json.loads((results / "summary.json").read_text())
    evaluations = pd.read_csv(results / "evaluations.csv")
    accepted, cut = accept(results_from_csv(results / "evaluations.csv"),
                           summary["settings"]["members"])
    uncalibrated = dict(o.split("=") for o in fitted_overrides(UNCALIBRATED))
    sweep = sim.load_results(store)
    pairs = paired_differences(sweep, list(dict.fromkeys([*sweep.outcomes, HEADLINE])))
    effects = ensemble_table(sweep, pairs)
    return {"summary": summary, "evaluations": evaluations, "accepted": accepted, "cut": cut,
            "targets": pd.read_csv(results / "targets.csv"),
            "ensemble": pd.read_csv(ensemble_path),
            "uncalibrated": {k: float(v) for k, v in uncalibrated.items()},
            "defaults": default_values(compose([])), "sweep": sweep,
            "effects": effects[effects.outcome == HEADLINE].reset_index(drop=True)}


# -- formatting -----------------------------------------------------------------------------------
def is_share(name: str) -> bool:
    return TARGETS[name].unit.startswith("share")


def shown(name: str, value: float) -> str:
    """A target's simulated value as the page shows it (shares in %); – if not observed."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100 * value:.1f}%" if is_share(name) else f"{value:.2f}"


def evidence(name: str) -> str:
    t = TARGETS[name]
    scale, unit = (100, "%") if is_share(name) else (1, f" {t.unit}")
    if math.isinf(t.high):
        return f"≥ {scale * t.low:g}{unit}"
    if t.low == t.high:
        return f"{scale * t.low:g}{unit}"
    return f"{scale * t.low:g}–{scale * t.high:g}{unit}"


def tolerance(name: str) -> str:
    t = TARGETS[name]
    return f"±{100 * t.tolerance:g} points" if is_share(name) else f"±{t.tolerance:g} {t.unit}"


def standard_error(name: str, value: float) -> str:
    """A standard error as the page shows it (shares in points); – if none was measured."""
    if value is None or not math.isfinite(value) or value == 0:
        return "–"
    return f"{100 * value:.1f} points" if is_share(name) else f"{value:.2f}"


def pct(share: float) -> str:
    return f"{100 * share:.1f}%" if share < 0.1 else f"{100 * share:.0f}%"


def seeds_text(seeds: list[int]) -> str:
    return (f"seeds {seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else f"seed {seeds[0]}")


def code_list(names: list[str]) -> str:
    names = [f"`{n}`" for n in names]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds:.0f} s ({seconds / 60:.0f} min)"


def holdout_seeds(summary: dict) -> list[int]:
    return list(range(1000, 1000 + summary["holdout"]["seeds"]))


def judged_seeds(summary: dict) -> list[int]:
    """The seeds acceptance judged (and member 0 was scored on): the confirmation seeds."""
    return summary["settings"]["confirm_seeds"] or summary["settings"]["seeds"]


def fitted(name: str) -> bool:
    return TARGETS[name].weight > 0


def relative(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(PROJECT_DIR)) if path.is_relative_to(PROJECT_DIR) else str(path)


# -- the blocks -----------------------------------------------------------------------------------
def calibrate_command(settings: dict, holdout: int) -> str:
    spinup = settings["spinup_years"]
    extra = f" --spinup-years {spinup:g}" if isinstance(spinup, int | float) else ""
    return (f"python -m sim.calibrate --waves {settings['waves']} --per-wave "
            f"{settings['per_wave']} --seeds {len(settings['seeds'])} --confirm-seeds "
            f"{len(settings['confirm_seeds'])} --members {settings['members']} --n-jobs "
            f"{settings['n_jobs']} --holdout-seeds {holdout} "
            f"--n-schools {settings['n_schools']} --years {settings['years']:g}{extra}")


def run_block(data: dict) -> list[str]:
    """What was run: the command, the waves table, the acceptance and member 0."""
    summary, ensemble = data["summary"], data["ensemble"]
    settings, acceptance = summary["settings"], summary["acceptance"]
    n_seeds = len(settings["seeds"])
    holdout = summary["holdout"]
    rows = [{"stage": f"wave {w['wave']} " + (
                 "(Latin hypercube over the bounds)" if w["wave"] == 1 else
                 f"(emulators' cut {w['emulator_cut']:.2f}: {100 * w['plausible_share']:.2g} % "
                 "of the space)"),
             "seeds": seeds_text(w["seeds"]),
             "sets": w["evaluations"], f"within the cut {CUT:g}": w["within_cut"],
             "within every tolerance": w["within_tolerance"],
             "wall time": f"{w['seconds']:.0f} s"} for w in summary["waves"]]
    searched = sum(w["evaluations"] for w in summary["waves"])
    evaluations = data["evaluations"]
    confirmed = evaluations[evaluations.stage == "confirm"]
    if len(confirmed):
        rows.append({"stage": f"confirmation (sets within {SCREEN_CUT:g} on the search seeds, at "
                              f"least {2 * settings['members']})",
                     "seeds": seeds_text(judged_seeds(summary)),
                     "sets": len(confirmed),
                     f"within the cut {CUT:g}": int((confirmed.max_implausibility <= CUT).sum()),
                     "within every tolerance": acceptance["within_every_tolerance"],
                     "wall time": f"{acceptance['confirm_seconds']:.0f} s"})
    if holdout["member0"]:
        rows.append({"stage": "holdout check of member 0",
                     "seeds": seeds_text(holdout_seeds(summary)),
                     "sets": 1,
                     f"within the cut {CUT:g}": "", "within every tolerance": "",
                     "wall time": f"{holdout['seconds']:.0f} s"})
    rows.append({"stage": "**total**", "seeds": "",
                 "sets": f"**{searched} sets × {plural(n_seeds, 'seed')}"
                 + (f" + {len(confirmed)} × {plural(len(judged_seeds(summary)), 'seed')}"
                    if len(confirmed) else "") + "**",
                 f"within the cut {CUT:g}": "",
                 "within every tolerance": f"**{acceptance['within_every_tolerance']}**",
                 "wall time": f"**{duration(settings['wall_s'])}**"})
    seconds = evaluations[evaluations.stage == "search"].seconds
    where = "on the fresh seeds" if len(confirmed) else "on the search seeds"
    member0 = summary["member0"]
    strict = acceptance["within_every_tolerance"]
    if acceptance["cut"] > 1:
        rule = (f"**{'No set' if strict == 0 else f'Only {strict} sets'} met every tolerance at "
                f"once {where}** (of {len(confirmed) or searched}; below, which targets pull "
                "against each "
                f"other), so the ensemble was accepted on the **relaxed rule**: the "
                f"{acceptance['accepted']} sets with the smallest largest implausibility, here "
                f"**every target within {acceptance['cut']:.2f} tolerances** (member 0: within "
                f"{member0['max_implausibility']:.2f}).")
    else:
        rule = (f"**{strict} sets met every tolerance at once {where}** (of "
                f"{len(confirmed) or searched}); all {acceptance['accepted']} are the ensemble, "
                "ranked by the objective"
                + (" on every seed each ran (search and fresh)." if len(confirmed) else "."))
    by_wave = ensemble.wave.value_counts().reindex([w["wave"] for w in summary["waves"]],
                                                   fill_value=0)
    if holdout["member0"]:
        every_seed = (f" ({member0['objective_every_seed']:.2f} on every seed it ran)"
                      if "objective_every_seed" in member0 else "")
        check = (f"Member 0 scores objective {member0['objective']:.2f} {where}{every_seed} and "
                 f"{holdout['member0']['objective']:.2f} on the holdout "
                 f"{seeds_text(holdout_seeds(summary))} (the winner's curse is the difference).")
    else:
        check = f"Member 0 scores objective {member0['objective']:.2f}; no holdout check was run."
    return [
        f"`{calibrate_command(settings, holdout['seeds'])}` on the default synthetic region "
        f"({settings['n_schools']} schools), {plural(n_seeds, 'seed')} a set, fresh for each wave, "
        f"{plural(settings['n_jobs'], 'parallel evaluation')}; finished {summary['created'][:10]}:",
        markdown(pd.DataFrame(rows)),
        f"One evaluation ({plural(n_seeds, 'seed')}: spin-up, baseline and "
        f"pathfinder runs each) took {seconds.median():.1f} s (median; {seconds.min():.1f}–"
        f"{seconds.max():.1f} s). {rule} The ensemble holds "
        + " / ".join(str(n) for n in by_wave) + f" sets from waves 1–{len(by_wave)}. " + check,
    ]


def targets_block(data: dict) -> list[str]:
    """Every target against the ensemble; who meets what; member 0's misses."""
    summary, table = data["summary"], data["targets"].set_index("target")
    seeds, n = judged_seeds(summary), len(data["accepted"])
    holdout = summary["holdout"]["member0"]
    rows = []
    for name in TARGETS:
        t = table.loc[name]
        row = {"target": f"`{name}`", "evidence": evidence(name), "tolerance": tolerance(name),
               f"member 0 ({seeds_text(seeds)})": shown(name, t["member 0"])}
        row["chance (s.e.)"] = standard_error(name, t.get("member 0 s.e.", 0.0))
        if holdout:
            row[f"member 0 ({seeds_text(holdout_seeds(summary))})"] = shown(
                name, t["member 0 (holdout)"])
        low, high = shown(name, t["ensemble min"]), shown(name, t["ensemble max"])
        row["ensemble range"] = low if low == high else f"{low} – {high}"
        row["members within tolerance"] = t["members within tolerance"]
        rows.append(row)
    every = [name for name in TARGETS if table.loc[name, "members within tolerance"] == f"{n}/{n}"]
    parts = [f"Member 0 on {seeds_text(seeds)}"
             + (f" and on the holdout {seeds_text(holdout_seeds(summary))}" if holdout else "")
             + "; member 0's standard error from chance (each target's spread over seeds, "
             "pooled over every set evaluated, / sqrt(seeds), which widens the implausibility's "
             "scale to sqrt(tolerance² + s.e.²)); "
             f"the ensemble's range over its {n} members ({seeds_text(seeds)}); how many "
             "members are within tolerance (implausibility ≤ 1). Shares in %; –: not observed "
             "(e.g. no funded partnership ended).",
             markdown(pd.DataFrame(rows)),
             "**Met by every member**: " + (code_list(every) + "." if every else "no target."),
             "**Member 0** " + misses(summary["member0"], f"on {seeds_text(seeds)}")]
    if holdout:
        parts[-1] += " On the holdout seeds it " + misses(holdout, "", short=True)
    return parts


def misses(member: dict, where: str, short: bool = False) -> str:
    """Member 0's targets outside tolerance, with value, evidence and implausibility."""
    out = [name for name in TARGETS if fitted(name) and member["implausibility"][name] > 1]
    if not out:
        return f"is within tolerance of every target{' ' + where if where else ''}."
    listed = "; ".join(
        f"`{name}` {shown(name, member['simulated'][name])}"
        + ("" if short else f" ({evidence(name)} {tolerance(name)})")
        + f": implausibility {member['implausibility'][name]:.2f}" for name in out)
    return f"misses {len(out)} target{'s' if len(out) > 1 else ''}{' ' + where if where else ''}: " \
           f"{listed}."


def pair_table(evaluations: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Over every evaluated set, each target's share within tolerance, and the pairs met together
    least often against independence (product of shares >= ``PAIR_MIN_PRODUCT``)."""
    meets = pd.DataFrame({name: evaluations[f"imp:{name}"] <= 1 for name in TARGETS
                          if fitted(name)})
    alone = meets.mean()
    rows = []
    for a, b in itertools.combinations(meets.columns, 2):
        product = alone[a] * alone[b]
        if product >= PAIR_MIN_PRODUCT:
            both = float((meets[a] & meets[b]).mean())
            rows.append({"a": a, "b": b, "a_alone": alone[a], "b_alone": alone[b], "both": both,
                         "product": product, "ratio": both / product})
    columns = ["a", "b", "a_alone", "b_alone", "both", "product", "ratio"]
    pairs = pd.DataFrame(rows, columns=columns)
    return pairs.sort_values(["ratio", "product"], ascending=[True, False]).head(PAIRS_SHOWN), \
        alone


def correlations(evaluations: pd.DataFrame) -> pd.DataFrame:
    """Spearman correlation of every free parameter with every fitted target's simulated value
    over all evaluated sets; rows with |rho| >= ``MIN_CORRELATION``, strongest first."""
    simulated = [f"sim:{name}" for name in TARGETS if fitted(name)]
    rho = evaluations[[*FREE, *simulated]].astype(float).corr(method="spearman")
    rho = rho.loc[list(FREE), simulated].stack().rename("rho").reset_index()
    rho.columns = ["parameter", "target", "rho"]
    rho["target"] = rho.target.str.removeprefix("sim:")
    strong = rho[rho.rho.abs() >= MIN_CORRELATION]
    return strong.reindex(strong.rho.abs().sort_values(ascending=False).index)


def pairs_block(data: dict) -> list[str]:
    evaluations = data["evaluations"]
    evaluations = evaluations[evaluations.stage == "search"]  # confirmation repeats some sets
    pairs, alone = pair_table(evaluations)
    n = len(evaluations)
    parts = [f"Over all {n} evaluated sets, each fitted target alone is met by "
             f"{pct(alone.min())}–{pct(alone.max())} of them; a pair of targets that were "
             "independent would be met together by the product of those shares. These pairs are "
             "met together least often against that (share meeting both / expected if "
             f"independent, among pairs expected in at least {pct(PAIR_MIN_PRODUCT)} of sets):"]
    if pairs.empty:
        parts[-1] = (f"Over all {n} evaluated sets no pair of targets is met often enough "
                     f"(≥ {pct(PAIR_MIN_PRODUCT)} expected if independent) to compare.")
    else:
        parts.append(markdown(pd.DataFrame({
            "target A": [f"`{a}` ({evidence(a)})" for a in pairs.a],
            "target B": [f"`{b}` ({evidence(b)})" for b in pairs.b],
            "A alone": pairs.a_alone.map(pct), "B alone": pairs.b_alone.map(pct),
            "both": pairs.both.map(lambda x: f"**{pct(x)}**"),
            "if independent": pairs["product"].map(pct),
            "both / if independent": pairs.ratio.map(lambda x: f"{x:.2f}")})))
    strong = correlations(evaluations)
    parts.append(f"Free parameters and the targets they move (Spearman correlation over the {n} "
                 f"sets of the parameter's value with the target's simulated value, |ρ| ≥ "
                 f"{MIN_CORRELATION:g}):")
    lines = []
    for key in FREE:
        mine = strong[strong.parameter == key]
        if len(mine):
            lines.append(list_item(f"- `{key}`: " + ", ".join(
                f"`{t}` {r:+.2f}" for t, r in zip(mine.target, mine.rho, strict=True))))
    quiet = [key for key in FREE if key not in set(strong.parameter)]
    if quiet:
        lines.append(list_item(f"- no target at |ρ| ≥ {MIN_CORRELATION:g}: {code_list(quiet)}"))
    parts.append("\n".join(lines))
    return parts


def parameters_block(data: dict) -> list[str]:
    ensemble, defaults = data["ensemble"], data["defaults"]
    rows = [{"parameter": f"`{key}`", "bounds": f"{low:g} – {high:g}",
             "assumption": f"{data['uncalibrated'][key]:g}",
             "member 0": f"{ensemble.loc[0, key]:g}",
             "ensemble range": f"{ensemble[key].min():.3g} – {ensemble[key].max():.3g}"}
            for key, (low, high, _) in FREE.items()]
    is_default = all(math.isclose(defaults[key], ensemble.loc[0, key], rel_tol=1e-6)
                     for key in FREE)
    return [f"All {len(FREE)} are assumptions in the rules' `Params` (the assumption column: "
            "`conf/calibration/none.yaml`, run with `python -m sim +calibration=none`). "
            + ("Member 0's values are the defaults of single runs (`conf/calibration/fitted.yaml`)."
               if is_default else "Member 0's values are **not** the current defaults "
               "(`conf/calibration/fitted.yaml` holds other values)."),
            markdown(pd.DataFrame(rows))]


def effect_rows(effects: pd.DataFrame) -> pd.DataFrame:
    def signed(x: float) -> str:
        return f"{x:+.2f}" if math.isfinite(x) else "–"

    return pd.DataFrame({
        "scenario": effects.scenario.map(lambda s: f"`{s}`"), "who": effects.who,
        "year": effects.year.map(lambda y: f"{y:g}"),
        "effect (months) and 95% interval incl. parameters": [
            f"{signed(m)} ({signed(lo)} to {signed(hi)})" for m, lo, hi in
            zip(effects["mean"], effects.low, effects.high, strict=True)],
        "range over parameter sets (2.5–97.5 %)": [
            f"{signed(lo)} to {signed(hi)}" for lo, hi in
            zip(effects.members_low, effects.members_high, strict=True)],
        "spread from parameters": effects.share_parameters.map(
            lambda x: f"{100 * x:.0f}%" if math.isfinite(x) else "–"),
        "sets in which it helps": effects.share_members_helping.map(lambda x: f"{100 * x:.0f}%")})


def years_text(years: list) -> str:
    years = [f"{y:g}" for y in years]
    return ("year " if len(years) == 1 else "years ") + (
        years[0] if len(years) == 1 else ", ".join(years[:-1]) + " and " + years[-1])


def sweep_commit(commit: str | None) -> str:
    if not commit:
        return "an unknown commit"
    return f"commit {commit[:7]}" + (" + uncommitted changes" if commit.endswith("-dirty") else "")


def agreement(effects: pd.DataFrame) -> tuple[list[str], list[str]]:
    """From the table: where every member's mean effect is on one side of zero, and where the
    members disagree, per group of people."""
    survives, does_not = [], []
    for who, group in effects.groupby("who", sort=False):
        agreed: dict[str, list[str]] = {}  # what all members agree on -> scenarios
        split = []
        for scenario, g in group.groupby("scenario", sort=False):
            for share, verb in ((1, "every"), (0, "no")):
                years = g[g.share_members_helping == share].year.tolist()
                if years:
                    agreed.setdefault(f"in {verb} set at {years_text(years)}", []).append(scenario)
            split += [f"`{scenario}` at year {row.year:g} (helps in "
                      f"{100 * row.share_members_helping:.0f}% of sets)"
                      for row in g.itertuples() if 0 < row.share_members_helping < 1]
        agreed_text = [f"{code_list(names)} help{'s' if len(names) == 1 else ''} {where}"
                       for where, names in agreed.items()]
        survives.append(list_item(f"- {who}: " + ("; ".join(agreed_text) or "nothing") + "."))
        does_not.append(list_item(f"- {who}: " + ("; ".join(split) or "nothing") + "."))
    return survives, does_not


def policies_block(data: dict) -> list[str]:
    sweep, effects = data["sweep"], data["effects"]
    experiment, info = sweep.info["experiment"], sweep.info
    n_members = int(effects.n_members.max())
    seeds = float(effects.seeds_per_member.max())
    schools = next((o.split("=")[1] for o in experiment["overrides"]
                    if o.startswith("landscape.n_schools=")), None)
    done = int((sweep.runs.status == "done").sum())
    compute = float(pd.to_numeric(sweep.runs.get("compute_s"), errors="coerce").sum())
    survives, does_not = agreement(effects)
    last = effects[effects.year == effects.year.max()].dropna(subset=["share_parameters"])
    spread = ""
    if len(last):
        low, high = last.loc[last.share_parameters.idxmin()], last.loc[
            last.share_parameters.idxmax()]
        spread = (f" At year {low.year:g} the share of the spread that is parameters runs from "
                  f"{100 * low.share_parameters:.0f}% (`{low.scenario}`, {low.who}) to "
                  f"{100 * high.share_parameters:.0f}% (`{high.scenario}`, {high.who}).")
    return [
        f"`python -m sim.sweep experiments/{experiment['name']}.yaml`: every named scenario "
        f"against the baseline under each of the {n_members} members × {seeds:g} seeds "
        f"({done} of {info['n_runs']} runs finished, {experiment['years']:g} years"
        + (f" on {schools} schools" if schools else "") + f"; {duration(compute)} of "
        "simulation summed over the runs, the store does not record the sweep's wall time; "
        f"swept on {info['created'][:10]} at {sweep_commit(info.get('git_commit'))}), each "
        "policy run paired with the baseline run of the same member on the same seed. Mean "
        "outcome, months of progress: for all pupils, and for the schools that joined a "
        "partnership the policy created or funded (against the same schools under the baseline). "
        f"The interval is the 95% t interval over the {n_members} members' means (so it includes "
        "parameter uncertainty); the range is where 95% of the members' effects lie; \"spread "
        "from parameters\" is the share of a single run's variance that is parameters rather than "
        "chance; and the share of members in which the policy helps (its member mean above "
        "zero).",
        markdown(effect_rows(effects)),
        f"**What survives every parameter set** (all {n_members} members' mean effects on one "
        "side of zero):",
        "\n".join(survives),
        "**What does not** (the members disagree on whether it helps):",
        "\n".join(does_not),
        f"These are effects at the ensemble's parameter sets against the sweep's baseline "
        f"`{sweep.baseline}`: {label(sweep.baseline)}.{spread}",
    ]


def caveats_block(data: dict) -> list[str]:
    summary = data["summary"]
    settings, acceptance, holdout = summary["settings"], summary["acceptance"], summary["holdout"]
    n_seeds = len(settings["seeds"])
    judged = judged_seeds(summary)
    if acceptance["cut"] > 1:
        fit = ("- **No set fits every target**" if acceptance["within_every_tolerance"] == 0
               else f"- **Only {acceptance['within_every_tolerance']} sets fit every target**")
        fit += (f"; the ensemble is the {acceptance['accepted']} sets nearest to doing so, within "
                f"{acceptance['cut']:.2f} tolerances of every target. The tolerances are "
                "judgements from the sources' precision (each is marked as an assumption in "
                "`docs/evidence.md`); with wider tolerances more sets would qualify.")
    else:
        fit = (f"- **{acceptance['within_every_tolerance']} sets fit every target** within its "
               "tolerance. The tolerances are judgements from the sources' precision (each is "
               "marked as an assumption in `docs/evidence.md`); with narrower ones fewer sets "
               "would qualify.")
    noise = (f"- **{plural(n_seeds, 'seed')} per set** in the search"
             + (f" and {plural(len(judged), 'fresh seed')} to accept it"
                if settings["confirm_seeds"] else "")
             + f", on {settings['n_schools']} schools: a set's simulated values carry seed noise")
    if holdout["member0"]:
        member0, again = summary["member0"], holdout["member0"]
        moved = max((name for name in TARGETS if fitted(name)),
                    key=lambda n: abs(again["implausibility"][n] - member0["implausibility"][n]))
        noise += (f" (member 0's objective: {member0['objective']:.2f} on "
                  f"{seeds_text(judged)}, {again['objective']:.2f} on "
                  f"{seeds_text(holdout_seeds(summary))}; the target that moved most, "
                  f"`{moved}`: {shown(moved, member0['simulated'][moved])} and "
                  f"{shown(moved, again['simulated'][moved])})")
    noise += (". The implausibility's scale adds chance to the tolerance (the seed spread pooled "
              "over every set, Method above), but the mean over these seeds is itself a draw: "
              "sets near the cut could fall either side of it on other seeds, and the holdout "
              "check shows how far member 0 moves.")
    return ["\n".join([list_item(fit), list_item(noise)])]


def provenance(command: str, inputs: str) -> str:
    return (f"Generated on {today()} by `PYTHONPATH=$PWD python {command}` at {git_state()} from "
            f"{inputs}; do not edit by hand.")


def blocks(data: dict, command: str, results: Path, ensemble: Path, store: Path) -> dict[str, str]:
    """Each marked block's text, markers included."""
    calibration = (f"`{relative(results)}/` (created {data['summary']['created']}) and "
                   f"`{relative(ensemble)}`")
    sweep = f"the store `{relative(store)}/` (created {data['sweep'].info['created']})"
    makers = {"run": (run_block, calibration), "targets": (targets_block, calibration),
              "pairs": (pairs_block, calibration), "parameters": (parameters_block, calibration),
              "policies": (policies_block, sweep), "caveats": (caveats_block, calibration)}
    texts = {}
    for name, (make, inputs) in makers.items():
        parts = make(data) + [provenance(command, inputs)]
        texts[name] = BLOCKS[name].block(parts)
    return texts


def check_tables(data: dict) -> None:
    """ValueError if the ensemble table has a NaN the page would show."""
    shown_effects = effect_rows(data["effects"])
    if has_nan(shown_effects):
        raise ValueError("an ensemble effect is NaN:\n" + shown_effects.to_string())


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS,
                        help="the calibration's output folder (default results/calibration)")
    parser.add_argument("--ensemble", type=Path, default=ENSEMBLE,
                        help="the accepted sets (default conf/calibration/ensemble.csv)")
    parser.add_argument("--store", type=Path, default=STORE,
                        help="the ensemble policy sweep's store (default "
                             "results/ensemble_policies)")
    parser.add_argument("--doc", type=Path, default=DOC, help="the page to rewrite")
    parser.add_argument("--print", action="store_true", help="print the blocks, rewrite nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = arguments(argv)
    problem = missing_input(args.results, args.ensemble, args.store, args.doc)
    if problem is None:
        problem = stale_store(args.store, pd.read_csv(args.ensemble))
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    data = read_inputs(args.results, args.ensemble, args.store)
    check_tables(data)
    texts = blocks(data, " ".join([SCRIPT, *argv]), args.results, args.ensemble, args.store)
    if args.print:
        print("\n\n".join(texts.values()))
        return 0
    text = args.doc.read_text()
    for name, block in texts.items():
        text = BLOCKS[name].rewrite(text, block)
    args.doc.write_text(text)
    print(f"rewrote {len(texts)} blocks of {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
