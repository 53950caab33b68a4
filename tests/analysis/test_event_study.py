"""sim/analysis/event_study.py: one event study, against similar schools or the counterfactual."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from sim.analysis.event_study import event_study, member_changes


def fake_run(years=7, gain_per_year=1.0):
    """Schools 0-1 partner at year 2.5 and then gain ``gain_per_year`` a year (school 0 is the
    weaker); schools 2-5 drift up 0.1 a year."""
    rows = []
    for year in range(years):
        for school in range(6):
            outcome = gain_per_year * max(0, year - 2) if school < 2 else 0.1 * year
            rows.append({"year": year, "school_id": school, "phase": "primary", "grade": 2,
                         "outcome": float(outcome), "talent": 0.4 if school == 0 else 0.5,
                         "capacity": 0.5})
    partnerships = pd.DataFrame({"partnership_id": [7], "members": [[0, 1]], "formed_at": [2.5],
                                 "funding_gbp": [30_000.0]})
    return SimpleNamespace(schools=pd.DataFrame(rows), partnerships=partnerships)


def without_the_partnership(run):
    """The counterfactual of ``fake_run``: members drift up 0.1 a year like the others."""
    schools = run.schools.assign(outcome=0.1 * run.schools.year.astype(float))
    return SimpleNamespace(schools=schools, partnerships=run.partnerships.iloc[:0])


def test_against_similar_schools_subtracts_their_change():
    table = event_study([fake_run(), fake_run()], lambda pt: pt.funding_gbp > 0,
                        against="similar_schools", pre=2, post=4)
    expected = {k: max(0, k) - 0.1 * k for k in range(-2, 5)}
    assert table.years_since_forming.tolist() == list(expected)
    assert np.allclose(table.difference, list(expected.values()))
    assert np.allclose(table.low, table.difference)  # identical runs: no spread
    assert (table.n_runs == 2).all() and set(table.group) == {"all members"}


def test_against_the_counterfactual_subtracts_the_same_school_without_the_policy():
    runs = [fake_run(), fake_run(gain_per_year=2.0)]
    table = event_study(runs, lambda pt: pt.funding_gbp > 0, against="counterfactual",
                        counterfactuals=[without_the_partnership(r) for r in runs], pre=1,
                        post=None)
    # Members gain 1 (or 2) a year from year 2 and would have drifted 0.1 a year without it.
    assert table.years_since_forming.tolist() == [-1, 0, 1, 2, 3, 4]
    expected = [1.5 * max(0, k) - 0.1 * k for k in range(-1, 5)]
    assert np.allclose(table.difference, expected)
    assert (table.low < table.difference).iloc[2:].all()  # the runs differ from k = 1


def test_member_rows_follow_partnerships_members_and_years():
    run = fake_run()
    rows = member_changes(run.schools, run.partnerships, lambda pt: pt.funding_gbp > 0,
                          "counterfactual", without_the_partnership(run).schools, pre=0,
                          post=None, by_strength=True)
    assert rows.school_id.tolist() == [0] * 5 + [1] * 5
    assert rows.k.tolist() == list(range(5)) * 2 and (rows.partnership_id == 7).all()
    assert rows.group.tolist() == ["weaker partner"] * 5 + ["stronger partner(s)"] * 5
    assert np.allclose(rows.effect, [0.9 * k for k in range(5)] * 2)


def test_partnerships_formed_in_the_spin_up_or_not_treated_are_left_out():
    run = fake_run()
    early = run.partnerships.assign(formed_at=-1.0)
    assert member_changes(run.schools, early, lambda pt: pt.funding_gbp > 0,
                          "similar_schools").empty
    table = event_study([run], lambda pt: pt.funding_gbp < 0, against="similar_schools")
    assert table.empty and "difference" in table.columns


def test_a_wrong_comparison_is_refused():
    run = fake_run()
    with pytest.raises(ValueError, match="similar_schools, counterfactual"):
        member_changes(run.schools, run.partnerships, lambda pt: pt.funding_gbp > 0, "others")
    with pytest.raises(ValueError, match="counterfactual run per run"):
        event_study([run], lambda pt: pt.funding_gbp > 0, against="counterfactual")


def test_the_analysis_modules_never_import_the_model():
    code = ("import sys, sim.analysis.costs, sim.analysis.event_study, sim.analysis.intervals, "
            "sim.analysis.paired, sim.analysis.results, sim.analysis.survival\n"
            "print(sorted(m for m in sys.modules if m.startswith(('sim.core', 'sim.running', "
            "'sim.config', 'sim.rules', 'sim.landscape', 'sim.experiments', 'sim.views'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
