"""The report on a hand-made store with known answers (no model runs), and on tiny sweeps with
nothing to compare (the baseline alone, no outcomes)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.results import load_results
from sim.experiments.design import Execution, Experiment
from sim.experiments.execution import run_sweep
from sim.storage.store import Store
from sim.views.report import main, write_report

SEEDS = (0, 1, 2, 3)
YEARS = np.arange(4)
OUTCOMES = {"mean_outcome": "higher", "disadvantage_gap": "lower"}


def policy_effect(seed: int, year: np.ndarray) -> np.ndarray:
    """Gain in mean_outcome: 0.1 a year, plus 0.02 on odd seeds."""
    return 0.1 * year + 0.02 * (seed % 2)


def school_panel(seed: int, is_policy: bool) -> pd.DataFrame:
    """Four schools; with the policy, schools 0 and 1 join at year 0.5 and gain 0.3 from year 1."""
    rows = []
    for school in range(4):
        joins = is_policy and school < 2
        for year in YEARS:
            rows.append({"school_id": school, "year": year,
                         "outcome": seed * 0.3 + 0.5 * year + (0.3 if joins and year >= 1 else 0),
                         "grade": 2, "pupils": 250.0, "phase": "primary",
                         "rural": school % 2 == 0, "fsm_quintile": 1 + school,
                         "joined_year": 0.5 if joins else np.nan})
    return pd.DataFrame(rows)


def make_store(root, seeds=SEEDS) -> Store:
    """Baseline and policy on four seeds; the policy costs GBP 1,000 a year and gains a little
    every year; it widens the gap by 0.5 (+/- 0.1) from year 2."""
    store = Store(root)
    plan = []
    for scenario in ("baseline", "policy"):
        for seed in seeds:
            run_id = f"{scenario}-s{seed}"
            plan.append({"run_id": run_id, "scenario": scenario, "point": -1, "seed": seed,
                         "baseline_run_id": f"baseline-s{seed}", "config_hash": run_id,
                         "overrides": "", "years": 3.0, "steps_per_year": 12})
            base = seed * 0.3 + 0.5 * YEARS
            is_policy = scenario == "policy"
            yearly = pd.DataFrame({
                "year": YEARS,
                "mean_outcome": base + (policy_effect(seed, YEARS) if is_policy else 0),
                "disadvantage_gap": 10 - 0.1 * YEARS
                + (np.where(YEARS >= 2, 0.5 + 0.1 * (seed % 2), 0) if is_policy else 0),
                "cum_spend_gbp": 500.0 * YEARS + (1000.0 * YEARS if is_policy else 0),
                "spend_gbp": np.where(YEARS > 0, 500.0 + (1000.0 if is_policy else 0), 0),
                "n_pupils": 1000,
                "run_id": run_id, "scenario": scenario, "point": -1, "seed": seed})
            # Four informal unfunded partnerships formed at 0 ending at 1, 2, and still active;
            # one formed during the spin-up (excluded from survival).
            partnerships = pd.DataFrame({
                "partnership_id": range(5), "n_members": 2, "kind": "informal",
                "origin": "self", "focus": "teaching", "formed_at": [0.0, 0.0, 0.0, 0.0, -3.0],
                "ended_at": [1.0, 2.0, np.nan, np.nan, 0.5],
                "end_reason": ["drift", "drift", "", "", "drift"], "strength": 0.5,
                "impact_measure": False, "funding_gbp": 0.0, "spent_gbp": 0.0,
                "run_id": run_id})
            store.write_run(run_id, yearly, partnerships,
                            {"run_id": run_id, "seed": seed, "git_commit": "abc",
                             "packages": {"mesa": "3.3.1"}, "compute_s": 1.0},
                            school_panel(seed, is_policy).assign(run_id=run_id))
    experiment = {"name": "handmade", "description": "test", "baseline": "baseline",
                  "replications": len(seeds), "years": 3.0, "landscape": "synthetic",
                  "outcomes": OUTCOMES}
    store.write_plan(pd.DataFrame(plan), {"experiment": experiment, "git_commit": "abc",
                                          "created": "now"}, "name: handmade\n")
    return store


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    make_store(root)
    write_report(root, pdf=False)
    return root / "report"


def test_comparison_is_the_mean_paired_difference_with_a_t_interval(report):
    table = pd.read_csv(report / "comparison.csv")
    row = table.query("scenario == 'policy' and outcome == 'mean_outcome' and year == 1").iloc[0]
    differences = [policy_effect(seed, 1) for seed in SEEDS]
    expected = stats.ttest_1samp(differences, 0).confidence_interval(0.95)
    assert row.n_pairs == 4
    assert row.mean_difference == pytest.approx(np.mean(differences))
    assert (row.ci95_low, row.ci95_high) == pytest.approx((expected.low, expected.high))
    baseline = table.query("scenario == 'baseline'")
    assert (baseline[["mean_difference", "ci95_low", "ci95_high"]] == 0).all().all()


def test_first_year_of_benefit_and_of_harm(report):
    first = pd.read_csv(report / "first_years.csv").set_index(["scenario", "outcome"])
    # Year 0: differences 0, 0.02, 0, 0.02 -> the interval includes zero; year 1 clearly above.
    assert first.loc[("policy", "mean_outcome"), "first_year_benefit"] == 1
    assert np.isnan(first.loc[("policy", "mean_outcome"), "first_year_harm"])
    assert first.loc[("policy", "disadvantage_gap"), "first_year_harm"] == 2
    assert np.isnan(first.loc[("policy", "disadvantage_gap"), "first_year_benefit"])


def test_cost_and_cost_per_unit_gained(report):
    costs = pd.read_csv(report / "costs.csv")
    row = costs.query("outcome == 'mean_outcome' and year == 3").iloc[0]
    gain = np.mean([policy_effect(seed, 3) for seed in SEEDS])
    assert row.extra_cost_gbp == pytest.approx(3000.0)
    assert row.gain == pytest.approx(gain)
    assert row.gbp_per_unit_gained == pytest.approx(3000.0 / gain)
    assert row.gbp_per_pupil_per_unit == pytest.approx(3000.0 / gain / 1000)
    harm = costs.query("outcome == 'disadvantage_gap' and year == 3").iloc[0]
    assert np.isnan(harm.gbp_per_unit_gained)  # no gain, no cost per unit


def test_partnership_survival_is_kaplan_meier_of_partnerships_formed_in_the_run(report):
    survival = pd.read_csv(report / "survival.csv").set_index("variant")
    row = survival.loc["policy"]
    assert row.n_partnerships == 4 * len(SEEDS)  # the spin-up partnership is left out
    assert row.surviving_1y == pytest.approx(0.75)
    assert row.surviving_2y == pytest.approx(0.5)
    assert row.median_years == pytest.approx(2.0)


def test_report_has_every_table_and_figure(report):
    for name in ("runs.csv", "all_runs.parquet", "comparison.csv", "first_years.csv",
                 "costs.csv", "survival.csv", "report.html", "figures/fan_mean_outcome.png",
                 "figures/difference_mean_outcome.png", "figures/cost.png",
                 "figures/survival.png"):
        assert (report / name).exists(), name
    runs = pd.read_csv(report / "runs.csv")
    assert list(runs.status.unique()) == ["done"] and set(runs["version:mesa"]) == {"3.3.1"}
    html = (report / "report.html").read_text()
    assert "figures/difference_mean_outcome.png" in html and "First year of benefit" in html
    assert len(pd.read_parquet(report / "all_runs.parquet")) == 8 * len(YEARS)


def visible_text(html: str) -> str:
    """What a reader sees: the page without its tags, style and attributes."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", html, flags=re.S))


def test_report_shows_no_code_names_and_no_scientific_notation(report):
    text = visible_text((report / "report.html").read_text())
    assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", text), "a snake_case name is shown"
    assert "ci95" not in text and "baseline" not in text
    assert not re.search(r"\d(\.\d+)?[eE][+-]?\d", text), "a number in scientific notation"


def test_headline_sentence_states_the_known_effect(report):
    text = " ".join(visible_text((report / "report.html").read_text()).split())
    gains = [policy_effect(seed, 2) for seed in SEEDS]
    low, high = stats.ttest_1samp(gains, 0).confidence_interval(0.95)
    assert (f"All pupils in the region: +{np.mean(gains):.2f} months at year 2 (95% interval "
            f"+{low:.2f} to +{high:.2f}; 100% of pairs gained)") in text
    # participants (schools 0 and 1) gain 0.3 against the same schools without the policy
    assert "+0.30 months at year 2 (95% interval +0.30 to +0.30; 100% of pairs gained)" in text
    # GBP 1,000 a year over 3 years to the 500 pupils of the participating schools
    assert "£2 per pupil per year (EEF cost rating: very low" in text
    present = sum(1000.0 / 1.035 ** t for t in range(3))  # years 1-3, from the start of year 1
    assert f"a present value of £{present:,.0f} at a discount rate of 3.5% a year" in text


def test_banner_below_ten_pairs_of_runs_and_not_above(report, tmp_path):
    assert "Too few runs for firm conclusions" in (report / "report.html").read_text()
    make_store(tmp_path, seeds=range(10))
    html = write_report(tmp_path, pdf=False).read_text()
    assert "Too few runs" not in html and "10 pairs of runs" in html


def test_discount_rate_is_a_setting(tmp_path):
    make_store(tmp_path)
    assert main([str(tmp_path), "--no-pdf", "--discount-rate", "0"]) == 0
    assert "£3,000 at a discount rate of 0% a year" in (tmp_path / "report" / "report.html"
                                                          ).read_text()
    assert main([str(tmp_path), "--discount-rate", "3.5"]) == 2


def test_pending_runs_are_listed_and_left_out(tmp_path):
    store = make_store(tmp_path)
    (store.runs / "policy-s3.parquet").unlink()
    results = load_results(tmp_path)
    assert results.runs.set_index("run_id").loc["policy-s3", "status"] == "pending"
    assert set(results.yearly.run_id) == set(results.plan.run_id) - {"policy-s3"}


def test_command_line(tmp_path, capsys):
    make_store(tmp_path)
    assert main([str(tmp_path)]) == 0
    assert (tmp_path / "report" / "report.html").exists()
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "not a sweep store" in capsys.readouterr().err


def tiny_sweep(store_dir, **changes) -> Store:
    """Two replications of two years on a 40-school region, run in this process."""
    experiment = Experiment(name="tiny", replications=2, years=2.0,
                            overrides=["landscape.n_schools=40", "spinup_years=1",
                                       "steps_per_year=4"],
                            execution=Execution(backend="sequential"), **changes)
    run_sweep(experiment, store_dir=store_dir, progress=False)
    return Store(store_dir)


def test_a_sweep_of_the_baseline_alone_reports_that_there_is_no_policy_to_compare(tmp_path):
    tiny_sweep(tmp_path, scenarios=["baseline"])
    html = write_report(tmp_path).read_text()
    assert "No policy to compare" in html
    assert "figures/fan_mean_outcome.png" in html and "difference_" not in html
    assert pd.read_csv(tmp_path / "report" / "first_years.csv").empty
    comparison = pd.read_csv(tmp_path / "report" / "comparison.csv")
    assert set(comparison.scenario) == {"baseline"} and (comparison.mean_difference == 0).all()


def test_a_sweep_without_outcomes_reports_cost_only(tmp_path):
    tiny_sweep(tmp_path, scenarios=["baseline", "pathfinder"], outcomes={})
    html = write_report(tmp_path).read_text()
    assert "No outcomes to compare" in html and "No policy to compare" not in html
    assert "figures/difference_" not in html and "figures/cost.png" in html
    comparison = pd.read_csv(tmp_path / "report" / "comparison.csv")
    assert set(comparison.outcome) == {"mean_outcome", "cum_spend_gbp"}  # the briefing's headline
    assert pd.read_csv(tmp_path / "report" / "first_years.csv").empty


def test_the_experiment_file_sets_the_discount_rate(tmp_path):
    store = make_store(tmp_path)
    info = store.read_sweep_info()
    info["experiment"]["discount_rate"] = 0.0
    store.write_plan(store.read_plan(), info, "name: handmade\n")
    html = write_report(tmp_path, pdf=False).read_text()
    assert "£3,000 at a discount rate of 0% a year" in html


def test_participants_chart_draws_years_without_an_interval():
    """A year with one pair of runs has no interval (None): the chart still draws (the smoke
    experiment's report stopped with a TypeError on such a table)."""
    from sim.views.report import participants_chart

    table = pd.DataFrame({"variant": "pathfinder", "year": [0, 1, 2], "n": [1, 1, 2],
                          "mean": [0.0, 0.1, 0.2],
                          "low": pd.Series([None, None, 0.1], dtype=object),
                          "high": pd.Series([None, None, 0.3], dtype=object)})
    assert table.low.dtype == object
    fig = participants_chart(table)
    assert fig.axes[0].lines, "the mean line is drawn"
