"""docs/sensitivity.md's figures, generated: reads the stores of a Morris and a Sobol run and
rewrites the page's marked blocks in place.

    python -m sim.sensitivity experiments/sensitivity.yaml --figures docs/figures
    python -m sim.sensitivity experiments/sensitivity.yaml --method sobol --figures docs/figures
    PYTHONPATH=$PWD python scripts/sensitivity_tables.py           # then this: a few seconds
    PYTHONPATH=$PWD python scripts/sensitivity_tables.py --print   # a look, no rewrite

Each block lies between ``<!-- sensitivity-tables NAME: generated ... -->`` and
``<!-- /sensitivity-tables NAME -->`` (``BLOCKS``: settings, outcomes, morris, parameters, sobol,
plain-words); text outside the markers is left as it is. What it reads:

* each store (``results/<name>`` and ``results/<name>_sobol`` unless ``--morris`` / ``--sobol``):
  ``morris_points.csv`` / ``sobol_points.csv`` and ``morris_indices.csv`` / ``sobol_indices.csv``
  (``sim/experiments/sensitivity.py``), ``sweep.json`` (the experiment as run, with its ranges
  resolved, and when the store was last written), ``experiment.yaml`` (the file as given: which
  ranges were relative), ``plan.parquet`` and each run's manifest (git commit, simulation time,
  the resolved config: region, spin-up and the defaults it ran at);
* the experiment file now (``--experiment``) and the config it composes now: the defaults of the
  parameter table, and what differs from what the stores ran (said in the text);
* ``conf/calibration/none.yaml``: the assumption each calibrated parameter replaces.

The store does not record a sweep's wall time (the runs' summed simulation time is given instead).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.core.checks import ConfigError
from sim.core.levers import LEVERS
from sim.core.paths import CONF_DIR, PROJECT_DIR
from sim.experiments import sensitivity
from sim.experiments.calibration import FREE
from sim.storage.store import Store
from sim.views.generated_text import Markers, git_state, markdown, paragraphs

DOC = PROJECT_DIR / "docs" / "sensitivity.md"
EXPERIMENT = PROJECT_DIR / "experiments" / "sensitivity.yaml"
COMMAND = "scripts/sensitivity_tables.py"
BLOCKS = {name: Markers(f"sensitivity-tables {name}", COMMAND)
          for name in ("settings", "outcomes", "morris", "parameters", "sobol", "plain-words")}
TOP = 5  # parameters shown per outcome in the rankings
# A parameter has a direction when |mu| >= this share of mu*: its elementary effects (nearly) all
# have one sign, so the outcome moves one way with it.
DIRECTION_SHARE = 0.8
FLOOR_MULTIPLE = 2.0  # mu* above this many noise floors: distinguishable from seed noise
NOISE_SHARE_CUT = 0.5  # Sobol: seed noise may be this share of the variance or more: not read


class MissingStore(Exception):
    """A store file is missing: one line naming it and the command that makes it."""


# -- marker blocks ----------------------------------------------------------------------------------
def check_markers(text: str) -> None:
    """ValueError unless ``text`` has each block's start marker once, then its end marker once."""
    for markers in BLOCKS.values():
        markers.check(text)


def rewrite(text: str, blocks: dict[str, str]) -> str:
    """``text`` with the inside of each named block (between its markers) replaced."""
    check_markers(text)
    for name, inside in blocks.items():
        m = BLOCKS[name]
        text = m.rewrite(text, f"{m.start}\n{inside}\n{m.end}")
    return text


# -- reading --------------------------------------------------------------------------------------
def flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """A nested mapping as ``{"a.b.c": value}``."""
    if not isinstance(value, dict):
        return {prefix.rstrip("."): value}
    items: dict[str, Any] = {}
    for key, item in value.items():
        items.update(flat(item, f"{prefix}{key}."))
    return items


def read_store(store_dir: Path, method: str, experiment_path: Path) -> dict:
    """What the text needs of one store; ``MissingStore`` naming the first missing file."""
    store = Store(store_dir)
    command = (f"python -m sim.sensitivity {experiment_path}"
               + (" --method sobol" if method == "sobol" else ""))
    files = [store_dir / f"{method}_points.csv", store_dir / f"{method}_indices.csv",
             store.sweep_path, store.experiment_path, store.plan_path]
    for path in files:
        if not path.is_file():
            raise MissingStore(f"{path} not found: it is written by a finished `{command}` "
                               f"(store {store_dir})")
    plan = store.read_plan()
    done = sorted(set(plan.run_id) & store.done_run_ids())
    manifests = [store.read_manifest(run_id) for run_id in done]
    info = store.read_sweep_info()
    experiment = info["experiment"]
    by_scenario = {m["scenario"]: m for m in manifests}
    varied = [c.removeprefix("param:") for c in plan.columns if c.startswith("param:")]
    return {
        "dir": store_dir, "method": method, "command": command,
        "points": pd.read_csv(files[0]), "indices": pd.read_csv(files[1]),
        "experiment": experiment, "as_given": yaml.safe_load(store.experiment_path.read_text()),
        "created": info.get("created"), "n_runs": len(plan), "n_done": len(done),
        "commits": pd.Series([m.get("git_commit") or "unknown" for m in manifests],
                             dtype=object).value_counts(),
        "compute_s": float(sum(m.get("compute_s", 0.0) for m in manifests)),
        "baseline_config": by_scenario[experiment["baseline"]]["config"],
        "policy_config": by_scenario[policy_of(experiment)]["config"],
        "varied": varied,
    }


def policy_of(experiment: dict) -> str:
    """The scenario whose effect the outcomes read (the first that is not the baseline)."""
    return next(s for s in experiment["scenarios"] if s != experiment["baseline"])


def read_now(experiment_path: Path) -> dict:
    """The experiment file and the config it composes now: current defaults and ranges."""
    from omegaconf import OmegaConf

    from sim.experiments.planning import compose_scenario

    experiment, morris, sobol, _ = sensitivity.load(experiment_path)
    config = compose_scenario([f"scenario={experiment.baseline}",
                               f"landscape={experiment.landscape}", *experiment.overrides],
                              experiment.baseline)
    assumptions = yaml.safe_load((CONF_DIR / "calibration" / "none.yaml").read_text())
    return {"experiment": asdict(experiment), "ranges": dict(morris.ranges),
            "config": flat({"rules": OmegaConf.to_container(config.rules, resolve=True),
                            "landscape": OmegaConf.to_container(config.landscape, resolve=True)}),
            "assumptions": flat(assumptions)}


# -- numbers --------------------------------------------------------------------------------------
def minus(text: str) -> str:
    return text.replace("-", "−")


def outcome_number(outcome: str, value: float) -> str:
    """An outcome's value as the page writes it (effects signed, in months)."""
    if not np.isfinite(value):
        return "–"
    if outcome.startswith(("effect_y", "gap_effect_y")):
        return minus(f"{value:+.2f}")
    if outcome.startswith("gap_y"):
        return minus(f"{value:.1f}")
    return minus(f"{value:.2f}" if outcome.startswith("survival_") else f"{value:.3g}")


def percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def unit(outcome: str) -> str:
    return "" if outcome.startswith("survival_") else " months"


def short(parameter: str) -> str:
    return f"`{parameter.removeprefix('rules.')}`"


def sig(value: float, digits: int = 3) -> str:
    return "–" if not np.isfinite(value) else minus(f"{value:.{digits}g}")


def direction(row) -> str:
    """+ / − when the outcome moves one way with the parameter, else ''."""
    if row.mu_star > 0 and abs(row.mu) >= DIRECTION_SHARE * row.mu_star:
        return "+" if row.mu > 0 else "−"
    return ""


def commit_text(commits: pd.Series) -> str:
    def one(commit: str) -> str:
        dirty = commit.endswith("-dirty")
        return commit.removesuffix("-dirty")[:7] + (" + uncommitted changes" if dirty else "")

    if len(commits) == 1:
        return f"commit {one(commits.index[0])}"
    return "commits " + ", ".join(f"{one(c)} ({n} runs)" for c, n in commits.items())


def day(iso: str | None) -> str:
    if not iso:
        return "an unrecorded date"
    when = datetime.fromisoformat(iso)
    return f"{when.day} {when:%b %Y}"


def seeds_per_point(store: dict) -> int:
    return int(store["experiment"]["replications"])


# -- what differs ---------------------------------------------------------------------------------
def differences(a: dict[str, Any], b: dict[str, Any], skip: set[str] = frozenset()) -> list[str]:
    """Keys of two flat mappings whose values differ (numbers to 1e-9), sorted."""
    def same(x: Any, y: Any) -> bool:
        if isinstance(x, int | float) and isinstance(y, int | float) and not isinstance(x, bool):
            return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
        return x == y

    return sorted(k for k in set(a) | set(b) if k not in skip and not same(a.get(k), b.get(k)))


def behaviour(config: dict) -> dict[str, Any]:
    """The rule and landscape values of a run's config, flat."""
    return flat({"rules": config["rules"], "landscape": config["landscape"]})


def value(item: Any) -> str:
    """A config value as the text shows it (numbers to 4 significant digits)."""
    if isinstance(item, float):
        return f"{item:.4g}"
    if isinstance(item, list):
        return "[" + ", ".join(value(v) for v in item) + "]"
    return repr(item)


def listing(keys: list[str], a: dict, b: dict, a_name: str, b_name: str, most: int = 6) -> str:
    shown = [f"`{k}` {value(a.get(k))} ({a_name}) vs {value(b.get(k))} ({b_name})"
             for k in keys[:most]]
    return "; ".join(shown) + (f"; and {len(keys) - most} more" if len(keys) > most else "")


def consistency(morris: dict, sobol: dict, now: dict, experiment_path: Path) -> list[str]:
    """Sentences on what differs between the two stores, and between each and the file now."""
    sentences = []
    if set(morris["commits"].index) != set(sobol["commits"].index):
        sentences.append(f"**The Morris and Sobol stores were made at different commits** "
                         f"(Morris: {commit_text(morris['commits'])}; Sobol: "
                         f"{commit_text(sobol['commits'])}).")
    varied = set(morris["varied"]) | set(sobol["varied"])
    a, b = behaviour(morris["baseline_config"]), behaviour(sobol["baseline_config"])
    if keys := differences(a, b, varied):
        sentences.append(f"**The Morris and Sobol stores ran at different defaults**: "
                         f"{listing(keys, a, b, 'Morris', 'Sobol')}.")
    # A relative range moves with its default: the Sobol ranges must be the Morris ones.
    a, b = ({k: v for k, v in store["experiment"]["morris"]["ranges"].items()
             if k in sobol["varied"]} for store in (morris, sobol))
    if keys := differences(a, b):
        sentences.append(f"**The Morris and Sobol stores screened different ranges**: "
                         f"{listing(keys, a, b, 'Morris', 'Sobol')}.")
    for store in (morris, sobol):
        name = store["method"].capitalize()
        ran, current = behaviour(store["baseline_config"]), now["config"]
        moved = differences({k: ran[k] for k in ran if k in current}, current,
                            set(store["varied"]))
        ran_settings, now_settings = flat(store["experiment"]), flat(now["experiment"])
        # Where runs ran does not change them, nor does the other method's design (Morris ignores
        # `sobol`; Sobol reads of `morris` only its parameters' ranges and the survival years).
        ignored = ("execution.", "sobol.") if store["method"] == "morris" else (
            "execution.", "morris.trajectories", "morris.levels", "morris.sampler_seed")
        settings = [k for k in differences(ran_settings, now_settings, {"description", "store"})
                    if not k.startswith(ignored)]
        changes = [listing([k], ran_settings, now_settings, "run", "now") for k in settings]
        changes += [f"`{k}` default {value(ran[k])} (run) vs {value(current[k])} (now)"
                    for k in moved]
        if changes:
            shown = "; ".join(changes[:8]) + (f"; and {len(changes) - 8} more"
                                             if len(changes) > 8 else "")
            sentences.append(f"**The {name} store differs from `{experiment_path}` and the "
                             f"defaults now**: {shown}. Re-run it (`{store['command']}`) before "
                             "relying on its figures.")
    if not sentences:
        sentences.append(f"Both stores were made at the same commit, with the settings of "
                         f"`{experiment_path}` and the defaults as they are now.")
    return sentences


# -- the blocks -----------------------------------------------------------------------------------
def region(store: dict) -> str:
    c, e = store["baseline_config"], store["experiment"]
    schools = c["landscape"].get("n_schools")
    where = f"{e['landscape']}" + (f", {schools} schools" if schools is not None else "")
    return (f"{where}; {c['years']:g} years after a {c['spinup_years']:g}-year spin-up "
            f"({c['spinup_steps_per_year']} steps a year), {c['steps_per_year']} steps a year")


def cost(store: dict) -> str:
    if not store["n_done"]:
        return "–"
    return (f"{duration(store['compute_s'])} of simulation summed over runs "
            f"({store['compute_s'] / store['n_done']:.2g} s a run; the store keeps no wall time)")


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def settings_block(morris: dict, sobol: dict, now: dict, experiment_path: Path) -> str:
    m, s = morris["experiment"], sobol["experiment"]
    levels, trajectories = m["morris"]["levels"], m["morris"]["trajectories"]
    n_morris, n_sobol = len(morris["points"]), len(sobol["points"])
    relative = [k for k, v in morris["as_given"]["morris"]["ranges"].items() if isinstance(v, dict)]
    scenarios = [m["baseline"], *[x for x in m["scenarios"] if x != m["baseline"]]]
    step = Fraction(levels, 2 * (levels - 1))  # of a parameter's range (SALib's Morris grid)

    def runs(store: dict, n_points: int) -> str:
        e = store["experiment"]
        done = "" if store["n_done"] == store["n_runs"] else f" ({store['n_done']} done)"
        return (f"{n_points} points × {len(scenarios)} scenarios ({', '.join(scenarios)}) × "
                f"{e['replications']} seeds = **{store['n_runs']:,} runs**{done}")

    table = pd.DataFrame([
        ("parameters",
         f"{len(m['morris']['ranges'])} behavioural parameters (ranges: the table below"
         + (f"; {len(relative)} relative to their defaults" if relative else "") + ")",
         f"{len(s['sobol']['parameters'])} of those: "
         + ", ".join(short(p) for p in s["sobol"]["parameters"])),
        ("design",
         f"{trajectories} trajectories, {levels} levels → {n_morris} points; a step moves a "
         f"parameter by {step} of its range",
         f"Saltelli, N = {s['sobol']['base_samples']}, first-order and total indices → "
         f"N (k + 2) = {n_sobol} points"),
        ("runs", runs(morris, n_morris), runs(sobol, n_sobol)),
        ("region", region(morris), "same" if region(sobol) == region(morris) else region(sobol)),
        ("cost", cost(morris), cost(sobol)),
        ("made", f"`{morris['dir']}`, {commit_text(morris['commits'])}, last written "
                 f"{day(morris['created'])}",
         f"`{sobol['dir']}`, {commit_text(sobol['commits'])}, last written "
         f"{day(sobol['created'])}"),
    ], columns=["setting", "Morris", "Sobol"])
    now_day = datetime.now(UTC)
    return paragraphs([
        *consistency(morris, sobol, now, experiment_path),
        markdown(table),
        f"Generated on {now_day.day} {now_day:%b %Y} by `PYTHONPATH=$PWD python {COMMAND}` at "
        f"{git_state()} from these two stores; regenerate after every Morris or Sobol run.",
    ])


OUTCOME_MEANINGS = {
    "effect_y": "{policy} − baseline, pupil-weighted mean outcome at year {k} (months), same seed",
    "gap_effect_y": "{policy} − baseline, national disadvantage gap at year {k} (months; "
                    "negative = narrower)",
    "gap_y": "the baseline's disadvantage gap at year {k} (months)",
    "survival_": "share of the baseline's partnerships formed after time 0 still active {k} later",
}


def meaning(outcome: str, policy: str) -> str:
    for prefix, text in OUTCOME_MEANINGS.items():
        if outcome.startswith(prefix):
            k = outcome.removeprefix(prefix)
            if prefix == "survival_":
                years = float(k.removesuffix("y"))
                k = f"{years:g} year" + ("" if years == 1 else "s")
            return text.format(policy=policy, k=k)
    return outcome


def outcome_names(store: dict) -> list[str]:
    return list(dict.fromkeys(store["indices"].outcome))


def policy_levers(store: dict) -> str:
    """What the policy changes, and when: each lever differing from the baseline's."""
    policy, base = store["policy_config"], store["baseline_config"]
    changes = []
    for lever in LEVERS:
        if policy[lever] != base[lever]:
            start, stop = policy[lever].get("start_year"), policy[lever].get("stop_year")
            window = f"from year {start:g}" + (f" to {stop:g}" if stop is not None else "")
            changes.append(f"{lever.replace('_', ' ')} {window}")
    return ", ".join(changes) or "nothing it records as a lever"


def outcomes_block(morris: dict) -> str:
    points, policy = morris["points"], policy_of(morris["experiment"])
    rows = []
    for outcome in outcome_names(morris):
        y = points[outcome]
        rows.append((f"`{outcome}`", meaning(outcome, policy),
                     f"{outcome_number(outcome, y.mean())} ({outcome_number(outcome, y.min())} "
                     f"to {outcome_number(outcome, y.max())})"))
    table = pd.DataFrame(rows, columns=["outcome", "meaning",
                                        f"mean (range) over the {len(points)} Morris points"])
    return paragraphs([
        f"Outcomes, per design point (mean over its {seeds_per_point(morris)} seeds; `{policy}` "
        f"changes {policy_levers(morris)}):",
        markdown(table)])


def morris_block(morris: dict) -> str:
    indices = morris["indices"]
    rows = []
    for outcome in outcome_names(morris):
        d = indices[indices.outcome == outcome].sort_values("mu_star", ascending=False)
        floor = d.noise_floor.iloc[0]
        head = f"`{outcome}` ({'no floor: one seed' if not np.isfinite(floor) else sig(floor, 2)}"
        head += unit(outcome) + ")" if np.isfinite(floor) else ")"
        cells = [f"{short(r.parameter)} {sig(r.mu_star)}" + (f" ({sign})" if (sign := direction(r))
                                                             else "")
                 for r in d.head(TOP).itertuples()]
        rows.append([head, *cells, *[""] * (TOP - len(cells))])
    n_shown = min(TOP, indices.groupby("outcome").size().min())
    table = pd.DataFrame([r[:n_shown + 1] for r in rows],
                         columns=["outcome (noise floor)", *[str(i + 1) for i in range(n_shown)]])
    return paragraphs([
        f"Rankings (μ\\* in outcome units; top {n_shown} of {indices.parameter.nunique()} "
        f"parameters and the noise floor, with {seeds_per_point(morris)} seeds per point over "
        f"{morris['experiment']['morris']['trajectories']} trajectories):",
        markdown(table),
        f"(+) / (−): the outcome rises / falls with the parameter (|μ| ≥ {DIRECTION_SHARE:g} μ\\*: "
        "the elementary effects nearly all have that sign).",
    ])


def parameters_block(morris: dict, now: dict) -> str:
    given = morris["as_given"]["morris"]["ranges"]
    ran = morris["experiment"]["morris"]["ranges"]
    rows, moved = [], []
    for key, (low, high) in ran.items():
        shown = f"{short(key)} [{sig(low)}, {sig(high)}]"
        if isinstance(given.get(key), dict):
            shown += f" (default ± {percent(given[key]['relative'])})"
        current = now["ranges"].get(key)
        if current is not None and not np.allclose(current, [low, high], rtol=1e-9):
            shown += " †"
            moved.append(f"{short(key)} [{sig(current[0])}, {sig(current[1])}]")
        default = now["config"].get(key)
        source = (f"calibrated (assumption {now['assumptions'][key]:g})"
                  if key in FREE and key in now["assumptions"] else "assumption")
        rows.append((shown, "–" if default is None else sig(default), source))
    table = pd.DataFrame(rows, columns=["parameter (range screened)", "default (now)", "source"])
    parts = [markdown(table),
             "Default: the current config (`conf/rules`); calibrated: fitted by "
             "`sim/experiments/calibration.py`, replacing the assumption of "
             "`conf/calibration/none.yaml`."]
    if moved:
        parts.append("† screened around other defaults than today's: the experiment file now "
                     "gives " + ", ".join(moved) + ".")
    return paragraphs(parts)


def sobol_block(sobol: dict) -> str:
    indices = sobol["indices"]
    parameters = list(dict.fromkeys(indices.parameter))
    rows = []
    for outcome in outcome_names(sobol):
        d = indices[indices.outcome == outcome].set_index("parameter").reindex(parameters)
        share = d.noise_share.iloc[0]
        noise = share >= NOISE_SHARE_CUT
        bound = "–" if not np.isfinite(share) else ("≥ 100 %" if share >= 1 else percent(share))
        best = d.ST.idxmax() if d.ST.notna().any() and not noise else None
        cells = []
        for p in parameters:
            cell = f"{sig(d.S1[p], 2)} / {sig(d.ST[p], 2)}"
            cells.append(f"**{cell}**" if p == best else cell)
        rows.append([f"`{outcome}` ({bound}{': noise' if noise else ''})", *cells])
    table = pd.DataFrame(rows, columns=["outcome (seed noise, at most)",
                                        *[f"{short(p)} S1 / ST" for p in parameters]])
    widths = indices[["S1_conf", "ST_conf"]].to_numpy().ravel()
    widths = widths[np.isfinite(widths)]
    n, seeds = sobol["experiment"]["sobol"]["base_samples"], seeds_per_point(sobol)
    spread = ("" if not len(widths) else
              f"With N = {n} the 95 % bootstrap intervals of S1 and ST are ±{sig(widths.min(), 2)}"
              f" to ±{sig(widths.max(), 2)} (median ±{sig(float(np.median(widths)), 2)}), so read "
              "the large differences only. ")
    return paragraphs([
        spread + f"Each point's outcome is a mean over {seeds} seeds; the first column bounds the "
        f"share of the variance between points that is seed noise (pooled within-point variance / "
        f"{seeds} over the variance between points); at {percent(NOISE_SHARE_CUT)} or more the row "
        "is read as noise. Bold: the largest total index.",
        markdown(table)])


def plain_words_block(morris: dict, sobol: dict) -> str:
    points, indices = morris["points"], morris["indices"]
    seeds, n_points = seeds_per_point(morris), len(points)
    bullets = []
    for outcome in outcome_names(morris):
        d = indices[indices.outcome == outcome].sort_values("mu_star", ascending=False)
        floor, y = d.noise_floor.iloc[0], points[outcome]
        text = (f"**`{outcome}`**, {sensitivity.label(outcome)}: "
                f"{outcome_number(outcome, y.mean())} on average over the {n_points} Morris "
                f"points ({outcome_number(outcome, y.min())} to {outcome_number(outcome, y.max())}"
                f"). ")
        if not np.isfinite(floor) or floor <= 0:
            text += (f"With {seeds} seed per point there is no noise floor; the largest μ\\*: "
                     + ", ".join(short(p) for p in d.parameter.head(3)) + ".")
        else:
            above = d[d.mu_star > FLOOR_MULTIPLE * floor]
            if len(above):
                text += f"Above {FLOOR_MULTIPLE:g} times the noise floor: " + ", ".join(
                    f"{short(r.parameter)} ({r.mu_star / floor:.1f}×, "
                    + {"+": "rises with it", "−": "falls with it", "": "either way"}[direction(r)]
                    + ")" for r in above.itertuples()) + "."
            else:
                top = d.iloc[0]
                text += (f"**Indistinguishable from seed noise** at {seeds} seeds per point: no "
                         f"μ\\* above {FLOOR_MULTIPLE:g} times the floor (largest: "
                         f"{short(top.parameter)}, {top.mu_star / floor:.1f}×).")
        text += " " + sobol_sentence(sobol, outcome)
        bullets.append(text.strip())
    return paragraphs([
        f"From the stores described under \"What was run\" (Morris at {seeds} seeds per point; "
        f"the Sobol indices at {seeds_per_point(sobol)}):",
        bullets])


def sobol_sentence(sobol: dict, outcome: str) -> str:
    d = sobol["indices"][sobol["indices"].outcome == outcome]
    if not len(d) or not d.ST.notna().any():
        return ""
    share = d.noise_share.iloc[0]
    if np.isfinite(share) and share >= NOISE_SHARE_CUT:
        bound = "100 % or more" if share >= 1 else percent(share)
        return (f"Sobol: seed noise may be up to {bound}"
                " of the variance between points; its indices are not read.")
    top = d.loc[d.ST.idxmax()]
    how = ("mostly through interactions" if top.ST - top.S1 > top.S1 else "mostly on its own")
    return (f"Sobol ({len(d)} parameters): {short(top.parameter)} explains the most (S1 "
            f"{sig(top.S1, 2)}, ST {sig(top.ST, 2)}: {how}).")


def blocks(morris: dict, sobol: dict, now: dict, experiment_path: Path) -> dict[str, str]:
    """The inside of every block, by name."""
    return {"settings": settings_block(morris, sobol, now, experiment_path),
            "outcomes": outcomes_block(morris),
            "morris": morris_block(morris),
            "parameters": parameters_block(morris, now),
            "sobol": sobol_block(sobol),
            "plain-words": plain_words_block(morris, sobol)}


# -- the command ----------------------------------------------------------------------------------
def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--experiment", type=Path, default=EXPERIMENT.relative_to(PROJECT_DIR),
                        help="the experiment file (default experiments/sensitivity.yaml)")
    parser.add_argument("--morris", type=Path, help="the Morris store (default results/<name>)")
    parser.add_argument("--sobol", type=Path, help="the Sobol store (default results/<name>_sobol)")
    parser.add_argument("--doc", type=Path, default=DOC, help="the page to rewrite")
    parser.add_argument("--print", action="store_true", help="print the blocks, rewrite nothing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    try:
        text = args.doc.read_text()
        check_markers(text)
    except (OSError, ValueError) as error:
        print(f"{args.doc}: {error}", file=sys.stderr)
        return 2
    try:
        now = read_now(args.experiment)
        name = now["experiment"]["name"]
        morris = read_store(args.morris or Path("results") / name, "morris", args.experiment)
        sobol = read_store(args.sobol or Path("results") / f"{name}_sobol", "sobol",
                           args.experiment)
    except ConfigError as error:
        print(f"Experiment error: {error}", file=sys.stderr)
        return 2
    except MissingStore as error:
        print(error, file=sys.stderr)
        return 2
    new = blocks(morris, sobol, now, args.experiment)
    if args.print:
        print("\n\n".join(f"{BLOCKS[k].start}\n{v}\n{BLOCKS[k].end}" for k, v in new.items()))
        return 0
    args.doc.write_text(rewrite(text, new))
    print(f"rewrote {len(new)} blocks of {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
