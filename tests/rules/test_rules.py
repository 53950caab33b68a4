"""Each rule does its job: switching it off removes a behaviour the rest of the model shows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import open_dict

from conftest import SMALL, build
from sim.config import compose, validate
from sim.core.checks import ConfigError
from sim.core.partnerships import FEDERATION, TRUST
from sim.rules import PHASES
from sim.rules.funding import FundedProgramme
from sim.rules.staffing import Staffing


def test_rules_run_in_the_documented_phase_order():
    model = build()
    phases = [rule.phase for rule in model.rules]
    assert phases == sorted(phases, key=PHASES.index)
    assert [r.__class__.__name__ for r in model.rules] == [
        "Staffing", "Accountability", "Trusts", "Rise", "ExecutiveHeadship", "Need", "Formation",
        "FundedProgramme", "Running", "Dissolution", "Improvement"]


@pytest.mark.parametrize("switch_off", ["~rules/staffing", "rules.staffing=null"])
def test_a_rule_can_be_switched_off_from_config(switch_off):
    model = build(switch_off)
    assert not any(isinstance(rule, Staffing) for rule in model.rules)
    assert len(model.rules) == 10


def test_staffing_makes_heads_leave_and_posts_fall_vacant(run):
    on = run().timeseries
    off = run("~rules/staffing").timeseries
    assert on.n_head_vacancies.sum() > 0
    assert off.n_head_vacancies.sum() == 0


def test_staffing_turns_teachers_over(run):
    # Partnership learning held off in both runs: it moves talent too, and by how much depends
    # on the calibration, so the comparison is of turnover alone.
    no_learning = "rules.running.learn_rate_per_year=0"
    on, off = run(no_learning).schools, run("~rules/staffing", no_learning).schools
    change_on = on.groupby("school_id").talent.agg(np.ptp).mean()
    change_off = off.groupby("school_id").talent.agg(np.ptp).mean()
    assert change_on > 2 * change_off


def test_accountability_reinspects_and_regrades(run):
    def regraded(schools):
        return (schools.groupby("school_id").grade.nunique() > 1).mean()

    assert regraded(run().schools) > 0.1
    assert regraded(run("~rules/accountability").schools) == 0


def test_accountability_supports_schools_under_a_low_grade():
    """Monitoring and support raise the capacity of RI and inadequate schools, and only theirs
    (single grades: the calibrated regime)."""
    # (Without trusts, whose central teams would pass a supported school's gain on to others.)
    supported = build("spinup_years=0", "rules.accountability.support_per_year=1.0", "~rules/trusts",
                      "accountability=single_grades")
    unsupported = build("spinup_years=0", "rules.accountability.support_per_year=0", "~rules/trusts",
                        "accountability=single_grades")
    supported.step()
    unsupported.step()
    low = supported.schools.grade >= 3
    assert low.any() and np.array_equal(low, unsupported.schools.grade >= 3)
    gain = supported.schools.capacity - unsupported.schools.capacity
    assert (gain[low] > 0).all()
    assert np.allclose(gain[~low], 0.0)


def test_a_new_outstanding_grade_must_clear_a_higher_bar(run):
    """Schools not already outstanding need the margin above the boundary to become outstanding."""
    def newly_outstanding(schools):
        grades = schools.pivot(index="school_id", columns="year", values="grade")
        return int(((grades == 1) & (grades.shift(axis=1) != 1)).iloc[:, 1:].to_numpy().sum())

    single_grades = "scenario=single_grades"  # the margin is the single-grade regime's
    assert newly_outstanding(run(single_grades, "rules.accountability.outstanding_margin_points=0").schools) > 0
    assert newly_outstanding(run(single_grades, "rules.accountability.outstanding_margin_points=100").schools) == 0


def test_executive_headship_appoints_executive_heads(run):
    assert run().timeseries.n_executive_heads.max() > 0
    assert run("~rules/executive_headship").timeseries.n_executive_heads.max() == 0


def test_need_drives_seeking():
    with_need = build("spinup_years=0")
    without = build("spinup_years=0", "~rules/need")
    for model in (with_need, without):
        model.run()
    assert with_need.schools.need.mean() > 0.05
    assert np.all(without.schools.need == 0)
    formed = [m.recorder.timeseries.new_formed.sum() for m in (with_need, without)]
    assert formed[0] > formed[1]


def test_formation_forms_organic_partnerships(run):
    on, off = run().partnerships, run("~rules/formation").partnerships
    assert ((on.origin == "organic") & (on.formed_at >= 0)).sum() > 5
    assert (off.origin == "organic").sum() == 0


def test_funded_programme_funds_partnerships(run):
    on = run("scenario=pathfinder", "funding.start_year=0").partnerships
    assert (on.funding_gbp > 0).sum() > 0
    assert ((on.origin == "programme") & (on.funding_gbp > 0)).sum() > 0, "no brokered pair"
    # Without the rule nothing would be funded while the lever says it is: that is refused.
    with pytest.raises(ConfigError, match="rules.funding"):
        run("scenario=pathfinder", "funding.start_year=0", "~rules/funding")


def test_running_builds_trust_and_costs_time(run):
    on, off = run(), run("~rules/running")
    assert on.timeseries.mean_time_away.iloc[-1] > 0
    assert off.timeseries.mean_time_away.max() == 0
    assert on.partnerships.strength.max() > 0.5
    # Without Running trust never builds: a new partnership keeps the strength it started with,
    # 0 or a past tie's, and no tie is ever stronger than the landscape's initial 0.8.
    initial = off.partnerships.origin == "initial"
    assert np.all(off.partnerships.strength[~initial] <= 0.8)
    assert (off.partnerships.strength[~initial] == 0).mean() > 0.5


def test_dissolution_ends_partnerships(run):
    assert run().timeseries.new_dissolved.sum() > 0
    off = run("~rules/dissolution")
    # Without it only the trusts rule ends partnerships: a school sponsored into a trust leaves its
    # federation (ending a federation of two), or is moved from one trust to another.
    assert set(off.partnerships.end_reason) <= {"", "joined_trust", "transferred"}


def test_improvement_moves_outcomes(run):
    on = run().schools.groupby("school_id").outcome.agg(np.ptp)
    off = run("~rules/improvement").schools.groupby("school_id").outcome.agg(np.ptp)
    assert on.mean() > 0.5
    assert off.max() == 0


class Wandering(Staffing):
    phase = "lunch"


def test_a_rule_with_a_phase_not_in_the_schedule_is_refused_before_the_run():
    cfg = compose(list(SMALL))
    with open_dict(cfg):
        cfg.rules.staffing["_target_"] = f"{__name__}.Wandering"
    with pytest.raises(ConfigError, match="phase"):
        validate(cfg)


def test_a_large_federation_loses_schools_one_at_a_time_but_carries_on():
    model = build("spinup_years=0", "years=15", "seed=3", "~rules/trusts")
    pt = model.partnerships
    members = np.arange(12)
    federation = model.form_partnership(members, FEDERATION, "initial")
    model.run()
    assert pt.end_reason[federation] == -1, "a twelve-school federation broke up as a whole"
    assert 2 <= pt.n_members[federation] < 12
    assert model.recorder.timeseries.new_left.sum() >= 12 - pt.n_members[federation]


def test_the_landscapes_structures_are_kept_whole_through_the_spin_up():
    model = build("spinup_years=20", "landscape.trusts_per_1000_schools=100",
                  "landscape.federations_per_1000_schools=100")
    pt = model.partnerships
    formal = np.flatnonzero((pt.origin == 0) & np.isin(pt.kind, [FEDERATION, TRUST]))
    assert len(formal) > 5
    assert np.all(pt.end_reason[formal] == -1)
    model.run()
    assert model.recorder.timeseries.new_left.sum() > 0  # after time 0 they evolve like any other


def test_the_model_clears_per_step_events_even_without_staffing():
    """``head_left_now`` is reset at each step's start, not by Staffing: with Staffing off, a
    head's departure still lasts one step (so Dissolution does not see it again and again)."""
    model = build("~rules/staffing", "~rules/executive_headship", "spinup_years=0")
    s = model.schools
    assert "head_left_now" in s.PER_STEP
    s.head_left_now[:10] = True
    model.step()
    assert not s.head_left_now.any()


class MyFunding(FundedProgramme):
    """The built-in funding rule under another class name (as a researcher's subclass would be)."""


def test_a_subclass_of_the_funding_rule_gives_the_built_in_results(run):
    """Formation finds the programme by the service it provides, not by class name, so a
    subclass swapped in through config keeps funding-driven seeking switched on."""
    pathfinder = ("scenario=pathfinder", "funding.start_year=0")
    built_in = run(*pathfinder)
    subclass = run(*pathfinder, f"rules.funding._target_={__name__}.MyFunding")
    assert (built_in.partnerships.funding_gbp > 0).any()
    for table in ("timeseries", "schools", "partnerships"):
        pd.testing.assert_frame_equal(getattr(subclass, table), getattr(built_in, table))


def test_two_rules_providing_one_service_are_refused_before_the_run():
    cfg = compose(list(SMALL))
    with open_dict(cfg):
        cfg.rules.second_funding = {"_target_": f"{__name__}.MyFunding"}
    with pytest.raises(ConfigError, match="second_funding.*funding_programme"):
        validate(cfg)


def test_partnership_built_on_past_work_starts_strong_and_lasts():
    """S2 lesson 1 / S4: a partnership formed between past partners starts at their tie's
    strength, and strong partnerships end at a lower hazard than new ones."""
    from sim.config import compose, validate
    from sim.core.model import PartnershipModel
    from sim.core.partnerships import INFORMAL

    model = PartnershipModel(validate(compose(["landscape.n_schools=60", "years=1",
                                               "spinup_years=0", "output.progress=false"])))
    s = model.schools
    s.record_ties(np.array([0]), np.array([1]), np.array([0.6]))
    tied = model.form_partnership([0, 1], INFORMAL, "organic")
    fresh = model.form_partnership([2, 3], INFORMAL, "organic")
    assert model.partnerships.strength[tied] == pytest.approx(0.6)
    assert model.partnerships.strength[fresh] == 0

    def ended_share(established: float) -> float:
        cfg = compose(["landscape.n_schools=400", "years=6", "spinup_years=10",
                       "output.progress=false",
                       f"rules.dissolution.rel_hazard_established={established}"])
        ps = PartnershipModel(validate(cfg))
        ps.run()
        formed = ps.recorder.partnerships
        formed = formed[(formed.formed_at > 0) & (formed.formed_at < 3) & (formed.kind == "informal")]
        return float(formed.ended_at.notna().mean())

    assert ended_share(0.3) < ended_share(1.0) - 0.05
