"""A sweep's report: tables, figures and report.html, ``python -m sim.report <store>``.

Every scenario is compared with the baseline run on the same seed (and parameter point): the
*paired difference* scenario - baseline removes the noise the two share, so small effects show.
The tables come from ``sim.analysis`` (paired differences, costs, survival); this module draws the
figures and writes the page. It reads the store's tables only; it never imports the model.

Written to ``<store>/report/``:
    runs.csv          one row per planned run: status, seed, config hash, versions, timings, error
    all_runs.parquet  the tidy table of every finished run: one row per run and year, every measure
    comparison.csv    per scenario, point, year and outcome: means, mean paired difference, 95% CI
    first_years.csv   per scenario and outcome: first year the benefit (or harm) is distinguishable
                      from zero, and the difference at the last year
    costs.csv         extra cumulative cost and cost per unit of outcome gained, at 5, 10, 15, 20 years
    survival.csv      how long partnerships formed during the run last, by kind and funding status
    figures/*.png     fan charts, difference-from-baseline panels, cost, survival, parameters
    report.html       all of the above on one page
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402

from sim.analysis.costs import COST, cost_table  # noqa: E402
from sim.analysis.paired import comparison_table, first_years, paired_differences  # noqa: E402
from sim.analysis.results import SweepResults, load_results  # noqa: E402
from sim.analysis.survival import durations, kaplan_meier, survival_data, survival_table  # noqa: E402
from sim.storage.store import Store  # noqa: E402

MAX_PANELS = 12  # variants drawn in one figure
UNITS = {
    "mean_outcome": "months vs national mean at t=0",
    "disadvantage_gap": "gap (months)",
    "outcome_spread": "SD between schools (months)",
    "mean_talent": "staff talent (0-1)",
    "mean_capacity": "leadership capacity (0-1)",
    "mean_time_away": "share of leaders' time away",
    "spend_gbp": "GBP per year",
    "cum_spend_gbp": "GBP (cumulative)",
    "n_pupils": "pupils",
}


def unit(outcome: str) -> str:
    """Axis label for an outcome column."""
    if outcome in UNITS:
        return UNITS[outcome]
    if outcome.startswith("share_"):
        return "share of schools"
    if outcome.startswith(("n_schools", "n_head", "n_executive")):
        return "number of schools"
    return "number"


def label(outcome: str) -> str:
    return outcome.replace("_", " ").replace("gbp", "GBP").capitalize()


# -- figures -------------------------------------------------------------------------------------
def fan_chart(pairs: pd.DataFrame, outcome: str, baseline: str) -> plt.Figure:
    """Median and 10-90% band across replications, one panel per variant; baseline dashed."""
    data = pairs[pairs.outcome == outcome]
    variants = list(dict.fromkeys(data.variant))[:MAX_PANELS]
    base = data[data.scenario == baseline].groupby("year")["value"].median()
    fig, axes = _panels(len(variants))
    for ax, variant in zip(axes, variants, strict=False):
        q = data[data.variant == variant].groupby("year")["value"].quantile([0.1, 0.5, 0.9]).unstack()
        ax.fill_between(q.index, q[0.1], q[0.9], alpha=0.3, color="tab:blue",
                        label="10-90% of replications")
        ax.plot(q.index, q[0.5], color="tab:blue", label="median")
        if not variant.startswith(baseline):
            ax.plot(base.index, base.values, ls="--", color="grey", label="baseline median")
        _decorate(ax, variant, unit(outcome))
    fig.suptitle(f"{label(outcome)}: median and 10-90% band across replications")
    return fig


def difference_chart(comparison: pd.DataFrame, outcome: str, better: str | None,
                     baseline: str) -> plt.Figure:
    """Mean paired difference from the baseline with its 95% CI, one panel per variant."""
    data = comparison[(comparison.outcome == outcome) & (comparison.scenario != baseline)]
    variants = list(dict.fromkeys(data.variant))[:MAX_PANELS]
    fig, axes = _panels(len(variants))
    for ax, variant in zip(axes, variants, strict=False):
        g = data[data.variant == variant].sort_values("year")
        ax.fill_between(g.year, g.ci95_low, g.ci95_high, alpha=0.3, color="tab:green",
                        label="95% CI of the mean difference")
        ax.plot(g.year, g.mean_difference, color="tab:green", label="mean paired difference")
        ax.axhline(0, color="black", lw=0.8)
        _decorate(ax, variant, f"difference: {unit(outcome)}")
    note = f" ({better} is better)" if better else ""
    fig.suptitle(f"{label(outcome)}: difference from the baseline on the same seeds{note}")
    return fig


def cost_chart(comparison: pd.DataFrame, baseline: str) -> plt.Figure:
    """Extra cumulative spend over the baseline, per variant, with 95% CI."""
    data = comparison[(comparison.outcome == COST) & (comparison.scenario != baseline)]
    fig, ax = plt.subplots(figsize=(8, 5), layout="tight")
    for variant, g in list(data.groupby("variant", sort=False))[:MAX_PANELS]:
        g = g.sort_values("year")
        line, = ax.plot(g.year, g.mean_difference / 1e6, label=variant)
        ax.fill_between(g.year, g.ci95_low / 1e6, g.ci95_high / 1e6, alpha=0.2,
                        color=line.get_color())
    ax.set_xlabel("year")
    ax.set_ylabel("extra cumulative spend (GBP million)")
    ax.set_title("Cost: extra cumulative spend over the baseline (mean, 95% CI)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def survival_chart(data: tuple[pd.DataFrame, list[str]]) -> plt.Figure:
    """Kaplan-Meier curves of partnerships formed during the run, per kind; line per variant and
    funding status (``data`` from ``survival_data``)."""
    pt, variants = data
    kinds = sorted(pt.kind.unique())
    fig, axes = plt.subplots(1, max(len(kinds), 1), figsize=(5 * max(len(kinds), 1), 4.5),
                             layout="tight", squeeze=False)
    variants = variants[:MAX_PANELS]
    for ax, kind in zip(axes[0], kinds, strict=False):
        for i, variant in enumerate(variants):
            for funded, style in ((True, "-"), (False, ":")):
                g = pt[(pt.kind == kind) & (pt.variant == variant) & ((pt.funding_gbp > 0) == funded)]
                if len(g) < 5:  # too few to draw a curve
                    continue
                times, probs = kaplan_meier(*durations(g))
                ax.step(times, probs, where="post", ls=style, color=f"C{i % 10}",
                        label=f"{variant} ({'funded' if funded else 'unfunded'})")
        ax.set_title(f"{kind} partnerships")
        ax.set_xlabel("years since formed")
        ax.set_ylabel("share still active")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        if ax.get_lines():
            ax.legend(fontsize=7)
    fig.suptitle("Partnership survival (Kaplan-Meier; solid: funded, dotted: unfunded)")
    return fig


def parameter_chart(comparison: pd.DataFrame, plan: pd.DataFrame, outcomes: list[str]
                    ) -> plt.Figure:
    """Difference from the baseline at the last year against each varied parameter."""
    params = [c for c in plan.columns if c.startswith("param:")]
    last = comparison[(comparison.year == comparison.year.max()) & (comparison.point >= 0)]
    values = plan[plan.point >= 0].drop_duplicates(["scenario", "point"])[["scenario", "point",
                                                                           *params]]
    last = last.merge(values, on=["scenario", "point"])
    fig, axes = plt.subplots(len(outcomes), len(params), figsize=(5.5 * len(params),
                             3.4 * len(outcomes) + 0.6), layout="constrained", squeeze=False)
    for row, outcome in enumerate(outcomes):
        for col, param in enumerate(params):
            ax = axes[row][col]
            for i, (scenario, g) in enumerate(last[last.outcome == outcome].groupby("scenario")):
                ax.errorbar(g[param], g.mean_difference, fmt="o", color=f"C{i}", label=scenario,
                            yerr=[g.mean_difference - g.ci95_low, g.ci95_high - g.mean_difference])
            ax.axhline(0, color="black", lw=0.8)
            ax.set_xlabel(param.removeprefix("param:"))
            ax.set_ylabel(f"difference: {unit(outcome)}")
            ax.set_title(label(outcome), fontsize=9)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.suptitle(f"Difference from the baseline at year {int(comparison.year.max())} "
                 "by parameter value (mean, 95% CI)")
    return fig


def _draw(make, args: tuple, path: Path) -> None:
    """Draw one figure and save it (one job of ``write_report``)."""
    fig = make(*args)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _panels(n: int):
    cols = min(max(n, 1), 3)
    rows = int(np.ceil(max(n, 1) / cols))
    # No layout manager: constrained layout costs seconds per figure with many panels.
    height = 1.0 + 3.4 * rows  # inches
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, height), squeeze=False)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.6 / height, top=1 - 0.8 / height,
                        hspace=0.5, wspace=0.3)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _decorate(ax, title: str, ylabel: str) -> None:
    """Title, axis labels and grid of a panel; the legend goes on the first panel only."""
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel, fontsize=8)
    ax.grid(alpha=0.3)
    if ax is ax.figure.axes[0]:
        ax.legend(fontsize=7)


# -- the report ----------------------------------------------------------------------------------
def write_report(store_dir: str | Path) -> Path:
    """Write every table, figure and report.html into ``<store>/report``; return the HTML path."""
    store_dir = Path(store_dir).resolve()  # figures are drawn by worker processes in other folders
    results = load_results(store_dir)
    out = Store(store_dir).report
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    results.runs.to_csv(out / "runs.csv", index=False)
    if results.yearly.empty:
        return _write_html(out, results, {}, [], has_policies=False)
    results.yearly.to_parquet(out / "all_runs.parquet", index=False)
    outcomes = list(results.outcomes)
    pairs = paired_differences(results, list(dict.fromkeys([*outcomes, COST])))
    tables = {"comparison": comparison_table(pairs)}
    tables["first_years"] = first_years(tables["comparison"], results.outcomes,
                                        results.baseline)
    tables["costs"] = cost_table(pairs, results)
    tables["survival"] = survival_table(results)
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv", index=False)

    # Each figure is a job (make, its arguments, file name, caption), drawn on every core.
    jobs = []
    has_policies = bool((pairs.scenario != results.baseline).any())  # paired with a finished baseline
    for outcome in [*outcomes, COST]:
        jobs.append((fan_chart, (pairs[pairs.outcome == outcome], outcome, results.baseline),
                     f"fan_{outcome}.png",
                     f"{label(outcome)}: median and 10-90% band across replications, per scenario."))
        if has_policies:
            jobs.append((difference_chart, (tables["comparison"], outcome,
                                            results.outcomes.get(outcome), results.baseline),
                         f"difference_{outcome}.png",
                         f"{label(outcome)}: mean paired difference from the baseline, with 95% CI."))
    if has_policies:
        jobs.append((cost_chart, (tables["comparison"], results.baseline), "cost.png",
                     "Extra cumulative spend over the baseline."))
    if not results.partnerships.empty:
        jobs.append((survival_chart, (survival_data(results),), "survival.png",
                     "How long partnerships formed during the run last, by kind and funding status."))
    if (results.plan.point >= 0).any() and has_policies:
        jobs.append((parameter_chart, (tables["comparison"], results.plan, outcomes),
                     "parameters.png",
                     "Difference from the baseline at the last year against each varied parameter."))
    Parallel(n_jobs=min(len(jobs), os.cpu_count() or 1))(
        delayed(_draw)(make, args, figures / name) for make, args, name, _ in jobs)
    drawn = [(f"figures/{name}", caption) for _, _, name, caption in jobs]
    return _write_html(out, results, tables, drawn, has_policies)


def _write_html(out: Path, results: SweepResults, tables: dict, figures: list,
                has_policies: bool) -> Path:
    experiment = results.info["experiment"]
    status = results.runs.status.value_counts().to_dict()
    parts = [
        f"<h1>Sweep report: {html.escape(experiment['name'])}</h1>",
        f"<p>{html.escape(experiment.get('description') or '')}</p>",
        "<p>Runs: " + ", ".join(f"{n} {s}" for s, n in status.items())
        + f". {experiment['replications']} replications of {experiment['years']:g} years on "
        f"landscape '{html.escape(experiment['landscape'])}'; git commit "
        f"{html.escape(str(results.info.get('git_commit')))}; created {results.info['created']}."
        " Every scenario is compared with the baseline on the same seeds (common random "
        "numbers): differences are paired, intervals are 95% t intervals of the mean paired "
        "difference (not adjusted for looking at many years).</p>",
    ]
    if status.get("failed"):
        failed = results.runs[results.runs.status == "failed"][["run_id", "error"]]
        parts += ["<h2>Failed runs</h2>", failed.to_html(index=False)]
    if tables and not has_policies:
        parts += ["<h2>No policy to compare</h2>",
                  f"<p>No run of a scenario other than the baseline "
                  f"('{html.escape(results.baseline)}') has finished with its baseline pair, so "
                  "there is no paired "
                  "difference, benefit or cost to report; the figures show the baseline's runs."
                  "</p>"]
    elif tables and not results.outcomes:
        parts += ["<h2>No outcomes to compare</h2>",
                  "<p>The experiment names no <code>outcomes</code>: only the extra spend over "
                  "the baseline is compared (comparison.csv, cost figure).</p>"]
    elif tables:
        costs = tables["costs"]
        headline_costs = costs[costs.outcome == next(iter(results.outcomes))]
        parts += ["<h2>When benefits become distinguishable from zero</h2>",
                  "<p>First year the 95% interval of the paired difference lies wholly on the "
                  "better side (benefit) or the worse side (harm); the year from which it stays "
                  "on the better side to the end; difference at the last year.</p>",
                  _html_table(tables["first_years"].drop(columns=["scenario", "point"]))]
        parts += ["<h2>Cost</h2>",
                  "<p>Extra cumulative spend over the baseline and cost per unit gained (only "
                  "where the gain is distinguishable from zero). See costs.csv for every outcome."
                  "</p>", _html_table(headline_costs.drop(columns=["scenario", "point"]))]
    if tables and not tables["survival"].empty:
        parts += ["<h2>Partnership survival</h2>",
                  "<p>Partnerships formed during the run, by final kind and whether they "
                  "were funded (Kaplan-Meier; active ones censored at the end).</p>",
                  _html_table(tables["survival"])]
    for path, caption in figures:
        parts.append(f'<figure><img src="{path}" style="max-width:100%"><figcaption>'
                     f"{html.escape(caption)}</figcaption></figure>")
    parts.append("<p>Tables: runs.csv, all_runs.parquet, comparison.csv, first_years.csv, "
                 "costs.csv, survival.csv (in this folder).</p>")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>Sweep report</title>"
            "<style>body{font-family:sans-serif;max-width:1200px;margin:auto}"
            "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;"
            "padding:2px 6px}</style></head><body>" + "\n".join(parts) + "</body></html>")
    path = out / "report.html"
    path.write_text(page)
    return path


def _html_table(table: pd.DataFrame) -> str:
    return table.to_html(index=False, float_format=lambda x: f"{x:,.3g}", na_rep="-")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.report",
                                     description="Aggregate a sweep store into tables and a report.")
    parser.add_argument("store", help="a sweep's results directory, e.g. results/compare_policies")
    args = parser.parse_args(argv)
    try:
        path = write_report(args.store)
    except FileNotFoundError as error:
        print(f"Report error: {error}", file=sys.stderr)
        return 2
    print(f"Report written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
