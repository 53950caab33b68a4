"""Today's regime (issue 15): Ofsted report cards and RISE, against the historic single grades
(docs/ODD.md §7.2, §7.3a). The single-grade regime's exact reproduction of the results before
report cards is in tests/test_regression.py."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import build, settings_for
from sim.core.partnerships import ORIGIN_CODES
from sim.core.recorder import report_card_shares
from sim.core.vocabulary import REPORT_CARD_AREAS
from sim.rules.accountability import Accountability
from sim.running import run_paired

REGION = ("landscape.n_schools=400", "years=5", "spinup_years=10")
SEEDS = (1, 2)


class RiseWatch:
    """Before and after each step: which schools RISE newly took on, and whether they were stuck."""

    def __init__(self) -> None:
        self.new, self.stuck, self.already = 0, True, False

    def before_step(self, model) -> None:
        self.count = model.schools.rise_count.copy()
        self.supported = (self.count > 0) & (model.schools.rise_until > model.now_years)

    def after_step(self, model) -> None:
        newly = model.schools.rise_count > self.count
        self.new += int(newly.sum())
        self.stuck &= bool(model.schools.stuck[newly].all())
        self.already |= bool((newly & self.supported).any())


def rise_run(*overrides: str, seed: int = 1):
    model = build(*REGION, f"seed={seed}", *overrides)
    watch = RiseWatch()
    model.run(observer=watch)
    return model, watch


def test_rise_takes_on_only_stuck_schools_and_no_more_than_its_capacity():
    model, watch = rise_run()
    regime = model.config.accountability
    capacity = regime.rise_schools_per_year_per_1000_schools * model.schools.n / 1000
    ts = model.recorder.timeseries
    assert watch.new > 0 and watch.stuck and not watch.already
    assert ts.cum_rise_started.iloc[-1] == watch.new
    # Places accrue with time (at most one year's worth is kept): never more than that.
    assert watch.new <= capacity * model.config.years + max(capacity, 1.0)
    assert ts.cum_rise_awarded_gbp.iloc[-1] == pytest.approx(watch.new * regime.rise_gbp_per_school)
    rise = model.recorder.partnerships
    rise = rise[rise.origin == "rise"]
    assert (rise.funding_gbp == regime.rise_gbp_per_school).all()
    # Each began as a pair (a supporter and a stuck school); once the award ends it may carry on
    # as an informal partnership that others join.
    ms = model.recorder.memberships
    founders = ms[ms.partnership_id.isin(rise.partnership_id) & (ms.joined_how == "rise")]
    assert len(rise) == watch.new
    assert (founders.groupby("partnership_id").size() == 2).all()
    assert set(founders.partnership_id) == set(rise.partnership_id)


def test_rise_reaches_the_stuck_schools_when_it_has_the_advisers():
    """With ample advisers, schools stuck for long are rare: RISE reaches them (those with a
    supporter in reach); without RISE more stay stuck."""
    ample = "accountability.rise_advisers_per_1000_schools=50"
    stuck_with = stuck_without = 0
    for seed in SEEDS:
        model, watch = rise_run(ample, seed=seed)
        waiting = model.schools.stuck & (model.schools.rise_count == 0)
        stuck_with += int(waiting.sum())
        assert watch.new > 0
        without, _ = rise_run("scenario=no_rise", seed=seed)
        stuck_without += int(without.schools.stuck.sum())
    assert stuck_with < 0.5 * stuck_without


def test_more_advisers_support_more_schools():
    def started(advisers):
        return sum(rise_run(f"accountability.rise_advisers_per_1000_schools={advisers}", seed=seed)[0]
                   .recorder.timeseries.cum_rise_started.iloc[-1] for seed in SEEDS)

    few, many = started(1.0), started(6.4)
    assert few > 0
    assert many > 1.5 * few
    assert started(0.0) == 0


def test_report_cards_give_pressure_from_the_worst_area():
    """Documented: under report cards pressure comes from the worst of the six areas (needs
    attention 0.5, urgent improvement 1, times stakes), whichever area it is; expected standard
    or better brings none. So a school whose standing is not below the standard (key areas at
    expected or better) feels pressure from a weak area elsewhere, which single grades could
    not give it."""
    model = build(*REGION, "seed=1")
    model.run()
    s, stakes = model.schools, model.config.accountability.stakes
    carded = s.area_grade[:, 0] > 0
    worst = np.where(s.safeguarding_met, s.area_grade.max(axis=1), 5)
    assert carded.mean() > 0.5
    assert np.allclose(s.pressure[carded & (worst <= 3)], 0.0)
    assert np.allclose(s.pressure[carded & (worst == 4)], 0.5 * stakes)
    assert np.allclose(s.pressure[carded & (worst == 5)], 1.0 * stakes)
    elsewhere = carded & (s.grade <= 2) & (worst >= 4)
    assert elsewhere.any() and (s.pressure[elsewhere] > 0).all()
    key = [REPORT_CARD_AREAS.index("leadership_and_governance"), REPORT_CARD_AREAS.index("achievement")]
    assert (s.area_grade[elsewhere][:, key] <= 3).all()


def test_report_cards_put_more_schools_under_pressure_than_single_grades():
    """Paired runs: a weak area anywhere counts under report cards, so more schools are under
    pressure from a judgement of concern than under single grades (RI or inadequate)."""
    more = 0.0
    for seed in SEEDS:
        cards, single = (build(*REGION, f"seed={seed}", *extra) for extra in
                         ((), ("scenario=single_grades",)))
        for model in (cards, single):
            model.run()
        concern = 0.5 * cards.config.accountability.stakes
        more += (cards.schools.pressure >= concern).mean() - (single.schools.pressure >= concern).mean()
    assert more > 0


def test_area_boundaries_split_schools_by_the_assumed_shares():
    """The cut points are set at time 0 so that each area has the assumed shares (most at
    expected standard, exceptional rare), then fixed."""
    model = build(*REGION, "seed=3")
    rule = next(r for r in model.rules if isinstance(r, Accountability))
    points = rule.area_points(rule._noisy_area_scores(model, model.config.accountability))
    shares = np.stack([np.bincount(points[:, a], minlength=6)[1:] / len(points)
                       for a in range(len(REPORT_CARD_AREAS))])
    assert (shares[:, 2] > 0.5).all()  # expected standard: most schools
    assert (shares[:, 0] < 0.1).all()  # exceptional: rare


def test_scoring_the_inspected_schools_only_gives_their_scores_and_the_same_draws():
    """A step scores just the schools inspected (speed at national scale): their scores are
    those of scoring every school, and every school still draws its noise, so the stream goes
    on exactly as if all were scored."""
    model = build(*REGION, "seed=3")
    rule = next(r for r in model.rules if isinstance(r, Accountability))
    regime, rows = model.config.accountability, np.array([3, 17, 250, 399])
    state = rule.area_rng.bit_generator.state
    every = rule._noisy_area_scores(model, regime)
    after_every = rule.area_rng.random(3)
    rule.area_rng.bit_generator.state = state
    some = rule._noisy_area_scores(model, regime, rows)
    assert np.array_equal(some, every[rows])
    assert np.array_equal(rule.area_rng.random(3), after_every)


def test_report_card_shares_count_the_carded_schools_only():
    """Shares at each point of each area are among schools holding a report card (a row of
    zeros: none yet); safeguarding not met likewise."""
    area_grade = np.zeros((4, len(REPORT_CARD_AREAS)), dtype=np.int8)
    area_grade[0] = 2  # strong standard everywhere
    area_grade[1] = 3  # expected standard, but urgent improvement in the first area
    area_grade[1, 0] = 5
    row = report_card_shares(area_grade, np.array([True, False, True, True]))
    first, second = REPORT_CARD_AREAS[:2]
    assert row["share_report_card"] == 0.5
    assert row[f"share_{first}_strong_standard"] == 0.5
    assert row[f"share_{first}_urgent_improvement"] == 0.5
    assert row[f"share_{first}_expected_standard"] == 0.0
    assert row[f"share_{second}_expected_standard"] == 0.5
    assert row["share_safeguarding_not_met"] == 0.5
    assert sum(value for name, value in row.items() if name.startswith(f"share_{second}_")) == 1.0
    assert report_card_shares(np.zeros_like(area_grade), np.ones(4, dtype=bool))[
        f"share_{first}_exceptional"] == 0.0


def test_baseline_and_its_reform_scenarios_share_one_spin_up():
    """single_grades and no_rise differ from today's regime only after time 0."""
    results = list(run_paired([settings_for(*REGION, "seed=2", *extra) for extra in
                               ((), ("scenario=single_grades",), ("scenario=no_rise",))]))
    first = [r.timeseries.iloc[0] for r in results]
    for row in first[1:]:
        assert row.mean_outcome == first[0].mean_outcome and row.n_stuck == first[0].n_stuck
    assert results[1].timeseries.share_report_card.max() == 0
    assert results[2].timeseries.cum_rise_started.max() == 0
    assert results[0].timeseries.cum_rise_started.iloc[-1] > 0


def test_rise_money_buys_what_its_own_design_says_whatever_the_funding_programme():
    """RISE pairs spend on leaders' time and cover by the accountability lever's rise_share_*, not
    the funding programme's design: more cover, less time cost for a RISE pair; a funding design
    with no cover (rural clusters) leaves RISE pairs' costs as they were."""
    def rise_time_cost(*overrides):
        model, _ = rise_run(*overrides)
        pt = model.partnerships
        ids = pt.active_ids()
        running = ids[(pt.origin[ids] == ORIGIN_CODES["rise"]) & (pt.funded_until[ids] > model.now_years)]
        assert len(running) > 0
        return pt.time_cost[running].mean()

    cover = rise_time_cost("accountability.rise_share_cover=1", "accountability.rise_share_leadership_time=0")
    leaders = rise_time_cost("accountability.rise_share_cover=0", "accountability.rise_share_leadership_time=1")
    assert cover < leaders
    no_cover_design = ("funding.share_cover=0", "funding.share_leadership_time=0.9")
    assert rise_time_cost(*no_cover_design) == rise_time_cost()
