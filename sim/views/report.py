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
    ensemble.csv      (sweeps over a calibrated ensemble) per scenario, measure and year 5, 10, 15:
                      the effect with intervals including parameter uncertainty, the shares of the
                      spread that are parameters and chance, the share of members in which it helps
    figures/*.png     fan charts, difference-from-baseline panels, cost, survival, parameters
    report.html       all of the above on one page
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.analysis.costs import (  # noqa: E402
    COST,
    DISCOUNT_RATE,  # noqa: E402
    cost_table,
)
from sim.analysis.ensemble import ensemble_effects  # noqa: E402
from sim.analysis.headline import participant_differences  # noqa: E402
from sim.analysis.paired import comparison_table, first_years, paired_differences, variant_labels  # noqa: E402
from sim.analysis.results import SweepResults, load_results  # noqa: E402
from sim.analysis.survival import durations, kaplan_meier, survival_data, survival_table  # noqa: E402
from sim.storage.store import Store  # noqa: E402
from sim.views.briefing import (  # noqa: E402
    HEADLINE,
    HEADLINE_YEARS,
    at_a_glance,
    briefing_tables,
    evaluation_table,
    replication_banner,
    scenario_paragraph,
)
from sim.views.formatting import label, number, scenario_label, title  # noqa: E402

MAX_PANELS = 12  # variants drawn in one figure
ENSEMBLE_YEARS = (5, 10, 15)  # years of the ensemble table (issue 12)
COUNTERFACTUAL = "today's policy (the counterfactual)"


def unit(outcome: str) -> str:
    """Axis label of an outcome: its plain label (with the unit)."""
    return label(outcome)


# -- figures -------------------------------------------------------------------------------------
def policy_periods(results: SweepResults) -> dict[str, tuple[float, float]]:
    """Per variant, the years a policy differing from today's was in force: (start, end)."""
    active = [c for c in results.yearly.columns if c.endswith("_active")]
    plan = results.plan.assign(variant=variant_labels(results.plan))[["run_id", "variant"]]
    if not active or results.yearly.empty:
        return {}
    rows = results.yearly.merge(plan, on="run_id")
    rows = rows[rows[active].any(axis=1)]
    return {v: (g.year.min() - 1, g.year.max()) for v, g in rows.groupby("variant")}


def _shade(ax, period) -> None:
    """Shade the years a policy was in force (``policy_periods``), if known."""
    if period is not None:
        ax.axvspan(*period, color="gold", alpha=0.15, label="policy in force")


def fan_chart(pairs: pd.DataFrame, outcome: str, baseline: str, periods: dict | None = None
              ) -> plt.Figure:
    """Median and 10-90% band across replications, one panel per variant (same y-axis), with the
    counterfactual's median dashed in every panel."""
    data = pairs[pairs.outcome == outcome]
    variants = list(dict.fromkeys(data.variant))[:MAX_PANELS]
    base = data[data.scenario == baseline].groupby("year")["value"].median()
    fig, axes = _panels(len(variants))
    for ax, variant in zip(axes, variants, strict=False):
        runs = data[data.variant == variant]
        q = runs.groupby("year")["value"].quantile([0.1, 0.5, 0.9]).unstack()
        _shade(ax, (periods or {}).get(variant))
        ax.fill_between(q.index, q[0.1], q[0.9], alpha=0.3, color="tab:blue",
                        label=f"10-90% of {runs.run_id.nunique()} runs")
        ax.plot(q.index, q[0.5], color="tab:blue", label="median")
        ax.plot(base.index, base.values, ls="--", color="grey", label=f"{COUNTERFACTUAL}, median")
        _decorate(ax, scenario_label(variant), unit(outcome))
    fig.suptitle(f"{title(outcome)}: each policy and today's policy, by year")
    return fig


def difference_chart(comparison: pd.DataFrame, outcome: str, better: str | None,
                     baseline: str, periods: dict | None = None) -> plt.Figure:
    """Mean paired difference from the counterfactual with its 95% interval, one panel per variant,
    on one y-axis so that panels compare."""
    data = comparison[(comparison.outcome == outcome) & (comparison.scenario != baseline)]
    variants = list(dict.fromkeys(data.variant))[:MAX_PANELS]
    fig, axes = _panels(len(variants))
    for ax, variant in zip(axes, variants, strict=False):
        g = data[data.variant == variant].sort_values("year")
        _shade(ax, (periods or {}).get(variant))
        ax.fill_between(g.year, g.ci95_low, g.ci95_high, alpha=0.3, color="tab:green",
                        label=f"95% interval ({int(g.n_pairs.max())} pairs of runs)")
        ax.plot(g.year, g.mean_difference, color="tab:green", label="mean difference")
        ax.axhline(0, color="black", lw=0.8, label=COUNTERFACTUAL)
        _decorate(ax, scenario_label(variant), f"difference in {unit(outcome)}")
    note = f" ({better} is better)" if better else ""
    fig.suptitle(f"{title(outcome)}: difference from today's policy on the same random draws{note}")
    return fig


def participants_chart(table: pd.DataFrame, periods: dict | None = None) -> plt.Figure:
    """Participating schools' difference from the same schools under today's policy."""
    variants = list(dict.fromkeys(table.variant))[:MAX_PANELS]
    fig, axes = _panels(len(variants))
    for ax, variant in zip(axes, variants, strict=False):
        g = table[table.variant == variant].sort_values("year")
        _shade(ax, (periods or {}).get(variant))
        # Float columns even where a year has no interval (a single pair of runs: None, not NaN).
        low, high, mean = (g[c].astype(float) for c in ("low", "high", "mean"))
        ax.fill_between(g.year, low, high, alpha=0.3, color="tab:purple",
                        label=f"95% interval ({int(g.n.max())} pairs of runs)")
        ax.plot(g.year, mean, color="tab:purple", label="mean difference")
        ax.axhline(0, color="black", lw=0.8, label=f"same schools, {COUNTERFACTUAL}")
        _decorate(ax, scenario_label(variant), "difference in progress (months)")
    fig.suptitle("Participating schools: difference from the same schools under today's policy")
    return fig


def cost_chart(comparison: pd.DataFrame, baseline: str) -> plt.Figure:
    """Extra cumulative spend over the counterfactual, per variant, with 95% interval."""
    data = comparison[(comparison.outcome == COST) & (comparison.scenario != baseline)]
    fig, ax = plt.subplots(figsize=(8, 5), layout="tight")
    for variant, g in list(data.groupby("variant", sort=False))[:MAX_PANELS]:
        g = g.sort_values("year")
        line, = ax.plot(g.year, g.mean_difference / 1e6, label=scenario_label(variant))
        ax.fill_between(g.year, g.ci95_low / 1e6, g.ci95_high / 1e6, alpha=0.2,
                        color=line.get_color())
    ax.axhline(0, color="black", lw=0.8, label=COUNTERFACTUAL)
    ax.set_xlabel("year")
    ax.set_ylabel("extra spending to date (£ million)")
    ax.set_title("Cost: extra spending over today's policy (mean and 95% interval)")
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
                        label=f"{scenario_label(variant)} "
                              f"({'funded' if funded else 'unfunded'})")
        ax.set_title(f"{kind.capitalize()} partnerships")
        ax.set_xlabel("years since formed")
        ax.set_ylabel("share still active")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        if ax.get_lines():
            ax.legend(fontsize=7)
    fig.suptitle("How long partnerships formed during the run last (solid: funded, dotted: unfunded)")
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
                ax.errorbar(g[param], g.mean_difference, fmt="o", color=f"C{i}",
                            label=scenario_label(scenario),
                            yerr=[g.mean_difference - g.ci95_low, g.ci95_high - g.mean_difference])
            ax.axhline(0, color="black", lw=0.8)
            ax.set_xlabel(param.removeprefix("param:"))
            ax.set_ylabel(f"difference: {unit(outcome)}")
            ax.set_title(title(outcome), fontsize=9)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.suptitle(f"Difference from today's policy at year {int(comparison.year.max())} "
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
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, height), squeeze=False,
                             sharey=True)  # one scale: panels compare
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.6 / height, top=1 - 0.8 / height,
                        hspace=0.5, wspace=0.3)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _decorate(ax, title: str, ylabel: str) -> None:
    """Title, axis labels and grid of a panel; the legend goes on the first panel only."""
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel, fontsize=8)
    ax.grid(alpha=0.3)
    if ax is ax.figure.axes[0]:
        ax.legend(fontsize=7, loc="best")


# -- the report ----------------------------------------------------------------------------------
def write_report(store_dir: str | Path, discount_rate: float | None = None, pdf: bool = True
                 ) -> Path:
    """Write every table, figure, report.html and (with Chromium) report.pdf into
    ``<store>/report``; return the HTML path. ``discount_rate``: for present values (default: the
    experiment's ``discount_rate``, else 3.5%)."""
    store_dir = Path(store_dir).resolve()  # a notebook or script may change folder later
    results = load_results(store_dir)
    if discount_rate is None:
        discount_rate = results.info["experiment"].get("discount_rate", DISCOUNT_RATE)
    out = Store(store_dir).report
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    results.runs.to_csv(out / "runs.csv", index=False)
    if results.yearly.empty:
        return _finish(out, _write_html(out, results, {}, [], has_policies=False), pdf)
    results.yearly.to_parquet(out / "all_runs.parquet", index=False)
    outcomes = list(results.outcomes)
    pairs = paired_differences(results, list(dict.fromkeys([*outcomes, HEADLINE, COST])))
    tables = {"comparison": comparison_table(pairs)}
    tables["first_years"] = first_years(tables["comparison"], results.outcomes,
                                        results.baseline)
    tables["costs"] = cost_table(pairs, results)
    tables["survival"] = survival_table(results)
    if "member" in results.plan and (results.plan.member >= 0).any():
        tables["ensemble"] = ensemble_table(results, pairs)
    for name, table in tables.items():
        table.to_csv(out / f"{name}.csv", index=False)
    has_policies = bool((pairs.scenario != results.baseline).any())  # paired with a finished baseline
    if has_policies:
        tables["briefing"] = briefing_tables(results, pairs, tables["costs"], discount_rate)
        for name in ("participants", "who_gains", "evaluation", "run_costs"):
            tables["briefing"][name].to_csv(out / f"{name}.csv", index=False)
    tables["discount_rate"] = discount_rate

    # Each figure is a job: make, its arguments, file name, caption.
    periods = policy_periods(results)
    jobs = [(fan_chart, (pairs[pairs.outcome == HEADLINE], HEADLINE, results.baseline, periods),
             f"fan_{HEADLINE}.png",
             f"{title(HEADLINE)} under each policy: median and 10-90% band of the runs, with "
             "today's policy (dashed); shaded: the years the policy is in force.")]
    if has_policies:
        briefing = tables["briefing"]
        if not briefing["participants"].empty:
            jobs.append((participants_chart, (briefing["participants"], periods),
                         "participants.png",
                         "Participating schools: mean difference from the same schools under "
                         "today's policy on the same random draws, with its 95% interval."))
        for outcome in outcomes:
            jobs.append((difference_chart, (tables["comparison"], outcome,
                                            results.outcomes.get(outcome), results.baseline,
                                            periods),
                         f"difference_{outcome}.png",
                         f"{title(outcome)}: mean difference from today's policy on the same "
                         "random draws, with its 95% interval."))
        jobs.append((cost_chart, (tables["comparison"], results.baseline), "cost.png",
                     "Extra spending over today's policy, to date."))
    if not results.partnerships.empty:
        jobs.append((survival_chart, (survival_data(results),), "survival.png",
                     "How long partnerships formed during the run last, by kind and funding "
                     "(Kaplan-Meier estimate; those still running at the end count as running)."))
    varied = results.plan.point >= 0
    if "member" in results.plan:  # ensemble members are pooled, not varied points
        varied &= results.plan.member < 0
    if varied.any() and has_policies:
        jobs.append((parameter_chart, (tables["comparison"], results.plan, outcomes),
                     "parameters.png",
                     "Difference from today's policy at the last year against each varied "
                     "parameter."))
    # Drawn in this process: starting worker processes and sending them the tables took longer
    # than drawing (smoke experiment: 15 s in parallel against 6 s here, on a busy 2-core machine).
    for make, args, name, _ in jobs:
        _draw(make, args, figures / name)
    drawn = [(f"figures/{name}", caption) for _, _, name, caption in jobs]
    return _finish(out, _write_html(out, results, tables, drawn, has_policies), pdf)


def ensemble_table(results: SweepResults, pairs: pd.DataFrame) -> pd.DataFrame:
    """Effects over the ensemble's members x seeds for all pupils (every outcome) and for the
    participating schools (progress), at years 5, 10 and 15 (those run; else the last year)."""
    policies = pairs[pairs.scenario != results.baseline]
    last = int(pairs.year.max())
    years = [y for y in ENSEMBLE_YEARS if y <= last] or [last]
    everyone = ensemble_effects(policies, {HEADLINE: "higher", **results.outcomes}, years)
    taking_part = ensemble_effects(participant_differences(results).assign(outcome=HEADLINE),
                                   {HEADLINE: "higher"}, years)
    return pd.concat([everyone.assign(who="all pupils"),
                      taking_part.assign(who="participating schools")], ignore_index=True)


def _ensemble_for_people(table: pd.DataFrame) -> pd.DataFrame:
    table = table[table.outcome == HEADLINE]
    return pd.DataFrame({
        "Policy": table.scenario.map(scenario_label), "Who": table.who,
        "Year": table.year.map(number),
        "Effect (months)": [f"{x:+,.2f}" for x in table["mean"]],
        "95% interval": [f"{a:+,.2f} to {b:+,.2f}" for a, b in zip(table.low, table.high,
                                                                    strict=True)],
        "Range over parameter sets": [f"{a:+,.2f} to {b:+,.2f}" for a, b in
                                      zip(table.members_low, table.members_high, strict=True)],
        "Spread from parameters": [f"{100 * x:.0f}%" if pd.notna(x) else "-"
                                   for x in table.share_parameters],
        "Parameter sets in which it helps": [f"{100 * x:.0f}%"
                                             for x in table.share_members_helping]})


def _finish(out: Path, html_path: Path, pdf: bool) -> Path:
    if pdf:
        write_pdf(html_path, out / "report.pdf")
    return html_path


def write_pdf(html_path: Path, pdf_path: Path) -> bool:
    """Print the page to PDF with headless Chromium; one warning line (and False) without it."""
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome")
                    if shutil.which(b)), None)
    if browser is None:
        print("Warning: no Chromium found: report.pdf not written (report.html is).",
              file=sys.stderr)
        return False
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
               f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
    done = subprocess.run(command, capture_output=True, timeout=120, check=False)
    if done.returncode != 0 or not pdf_path.exists():
        print(f"Warning: Chromium could not print report.pdf (exit {done.returncode}); "
              "report.html is written.", file=sys.stderr)
        return False
    return True


STYLE = """
body{font-family:Georgia,serif;max-width:1000px;margin:auto;padding:0 1em;line-height:1.4}
h1,h2,h3{font-family:Helvetica,Arial,sans-serif} h3{margin-bottom:0.2em}
.banner{background:#fff3cd;border:1px solid #e0b000;padding:0.6em 1em;margin:1em 0}
.method{font-size:0.9em;color:#333}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td{white-space:nowrap}
td:first-child,th:first-child{text-align:left}
figure{page-break-inside:avoid;margin:1em 0}
@media print{.first{page-break-after:always} body{font-size:11pt}}
"""


def _write_html(out: Path, results: SweepResults, tables: dict, figures: list,
                has_policies: bool) -> Path:
    experiment = results.info["experiment"]
    status = results.runs.status.value_counts().to_dict()
    last = int(results.yearly.year.max()) if not results.yearly.empty else 0
    parts = [f"<div class='first'><h1>Briefing: {html.escape(experiment.get('description') or '')}"
             "</h1>"]
    if tables and has_policies:
        briefing = tables["briefing"]
        n_pairs = int(briefing["all_pupils"].n.min())
        parts.append(replication_banner(n_pairs))
        years = [y for y in HEADLINE_YEARS if y <= last] or [last]
        uncertainty = (
            "carry the model's random variation (seed noise) only, not uncertainty in its "
            "parameters" if "ensemble" not in tables else
            f"pool {tables['ensemble'].n_members.max():.0f} calibrated parameter sets x their seeds, "
            "so they include uncertainty in the parameters (split below)")
        parts.append(
            "<p class='method'>Each policy is compared with today's policy run on the same random "
            "draws (the counterfactual), over " + number(last) + " years; effects are in months of "
            "pupil progress. Intervals are 95% t intervals over the pairs of runs and "
            + uncertainty + ". "
            "\u201cPairs gained\u201d is the share of pairs of runs in which the policy did better "
            "than today's policy.</p>")
        parts += ["<h2>At a glance</h2>", at_a_glance(briefing, last)]
        if "ensemble" in tables:
            parts += ["<h2>Parameters or chance</h2>",
                      "<p>Each parameter set of the calibrated ensemble fits the evidence "
                      "(docs/calibration.md). Effect: mean over parameter sets, with its 95% "
                      "interval over the sets' means; range: where 95% of the sets' effects lie; "
                      "spread from parameters: the share of a single run's spread that comes from "
                      "the parameters rather than chance.</p>",
                      _html_table(_ensemble_for_people(tables["ensemble"]))]
        parts.append("<h2>Policy by policy</h2>")
        for variant, g in briefing["all_pupils"].groupby("variant", sort=False):
            parts.append(scenario_paragraph(briefing, variant, g.scenario.iloc[0], years,
                                            tables["discount_rate"]))
    elif tables:
        parts += ["<h2>No policy to compare</h2>",
                  f"<p>No run of a policy other than {html.escape(label(results.baseline))} "
                  "has finished with its counterfactual run, so there is no difference, benefit or "
                  "cost to report; the figures show the runs of today's policy.</p>"]
    if tables and has_policies and not results.outcomes:
        parts += ["<h2>No outcomes to compare</h2>",
                  "<p>The experiment names no outcomes: beyond the briefing above (progress and "
                  "cost), only the extra spending is drawn.</p>"]
    parts.append("</div>")
    if tables and has_policies and results.outcomes:
        evaluation = evaluation_table(tables["briefing"])
        if evaluation:
            parts += ["<h2>What an evaluation would see</h2>",
                      "<p>For the schools that joined a partnership the policy created or funded, "
                      "k years after joining: the true effect (their outcome minus the same "
                      "schools' outcome under today's policy, known only in a simulation); a "
                      "before-and-after comparison (their change since the year before joining); "
                      "and a matched difference-in-differences (that change minus the change of "
                      "the three schools in the same run of the same phase and inspection grade "
                      "and nearest in results the year before, that had not joined). Months of "
                      "progress, mean and 95% interval over pairs of runs.</p>", evaluation]
    if status.get("failed"):
        failed = results.runs[results.runs.status == "failed"][["run_id", "error"]]
        parts += ["<h2>Failed runs</h2>", _html_table(
            failed.rename(columns={"run_id": "run", "error": "error"}))]
    for path, caption in figures:
        parts.append(f'<figure><img src="{path}" style="max-width:100%"><figcaption>'
                     f"{html.escape(caption)}</figcaption></figure>")
    if tables and has_policies and results.outcomes:
        parts += ["<h2>When differences become distinguishable from zero</h2>",
                  _html_table(_first_years_for_people(tables["first_years"]))]
    if tables and not tables["survival"].empty:
        parts += ["<h2>How long partnerships last</h2>",
                  _html_table(_survival_for_people(tables["survival"]))]
    parts.append(
        "<p class='method'>Runs: " + ", ".join(f"{n} {s}" for s, n in status.items())
        + f"; {experiment['replications']} replications of {experiment['years']:g} years on the "
        f"{html.escape(experiment['landscape'])} landscape; model version "
        f"{html.escape(str(results.info.get('git_commit')))}; created {results.info['created']}. "
        "Every table is also in this folder as a CSV file.</p>")
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>Briefing</title>"
            f"<style>{STYLE}</style></head><body>" + "\n".join(parts) + "</body></html>")
    path = out / "report.html"
    path.write_text(page)
    return path


def _first_years_for_people(table: pd.DataFrame) -> pd.DataFrame:
    def year(x):
        return number(x) if pd.notna(x) else "not within the run"

    return pd.DataFrame({
        "Policy": table.variant.map(scenario_label), "Measure": table.outcome.map(title),
        "Better if": table.better_if, "First year of benefit": table.first_year_benefit.map(year),
        "Benefit lasts from year": table.benefit_from_year_on.map(year),
        "First year of harm": table.first_year_harm.map(year),
        "Difference at the end": [f"{x:+,.2f}" for x in table.difference_last_year],
        "95% interval": [f"{a:+,.2f} to {b:+,.2f}" if pd.notna(a) else "-"
                         for a, b in zip(table.ci95_low, table.ci95_high, strict=True)]})


def _survival_for_people(table: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        "Policy": table.variant.map(scenario_label), "Kind": table.kind,
        "Funding": table.funding, "Partnerships": table.n_partnerships.map(number),
        "Ended": table.n_ended.map(number),
        "Median years": [number(x, 1) if pd.notna(x) else "beyond the run"
                         for x in table.median_years]})
    for column in [c for c in table.columns if c.startswith("surviving_")]:
        years = column.removeprefix("surviving_").removesuffix("y")
        out[f"Still running after {years} years"] = [f"{100 * x:.0f}%" for x in table[column]]
    return out


def _html_table(table: pd.DataFrame) -> str:
    return table.to_html(index=False, na_rep="-", escape=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.report",
                                     description="Write a sweep store's briefing report (HTML and "
                                                 "PDF) and its tables.")
    parser.add_argument("store", help="a sweep's results directory, e.g. results/compare_policies")
    parser.add_argument("--discount-rate", type=float, default=None,
                        help="yearly rate for present values of cost (default: the experiment's "
                             f"discount_rate, else {DISCOUNT_RATE}, HM Treasury Green Book)")
    parser.add_argument("--no-pdf", action="store_true", help="write the HTML only")
    args = parser.parse_args(argv)
    if args.discount_rate is not None and not 0 <= args.discount_rate < 1:
        print(f"Report error: --discount-rate = {args.discount_rate} is not allowed: a yearly "
              "rate between 0 and 1, e.g. 0.035", file=sys.stderr)
        return 2
    try:
        path = write_report(args.store, args.discount_rate, pdf=not args.no_pdf)
    except FileNotFoundError as error:
        print(f"Report error: {error}", file=sys.stderr)
        return 2
    print(f"Report written: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
