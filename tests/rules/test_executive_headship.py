"""Executive headship (sim.rules.executive_headship): the arrangement follows the two schools'
governance — a federation of maintained schools, nothing new within one trust, an informal
partnership across the boundary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import _cached_run, build
from sim.core.partnerships import ACTIVE, FEDERATION, INFORMAL, ORIGIN_CODES, REASON_CODES, TRUST
from sim.core.vocabulary import HEAD_EXECUTIVE, HEAD_IN_POST, HEAD_VACANT
from sim.rules.dissolution import Dissolution
from sim.rules.executive_headship import ExecutiveHeadship
from sim.rules.staffing import Staffing

# A region with no starting partnerships, an executive-headship programme in force from time 0
# whose every triggered school gets a head at once.
EMPTY_REGION = ("landscape.n_schools=60", "spinup_years=0", "landscape.trusts_per_1000_schools=0",
                "landscape.federations_per_1000_schools=0", "landscape.informal_share=0",
                "executive_headship=programme", "executive_headship.start_year=0",
                "executive_headship.appointment_rate_per_year=1000")


def appoint(academies=(), trust=(), overrides=()):
    """A model in which school 0 has a vacant headship and its nearest same-phase neighbour is
    the only school a head could come from; the ``academies`` (of the two: 0 and 1 for the
    school and the lead) are academies and those in ``trust`` one trust. Returns the model, the
    lead and the partnerships that existed before the executive-headship rule stepped."""
    model = build(*EMPTY_REGION, *overrides)
    s, pt = model.schools, model.partnerships
    same_phase = np.flatnonzero(s.phase == s.phase[0])
    others, _ = s.nearest_first(0, same_phase[same_phase != 0])
    pair = np.array([0, others[0]])
    s.head[:] = HEAD_IN_POST
    s.head[0] = HEAD_VACANT
    s.grade[:] = 3
    s.grade[pair[1]] = 1
    s.academy[:] = False
    s.academy[pair[list(academies)]] = True
    if trust:
        pt.add(pair[list(trust)], TRUST, 0.0, "organic")
    before = pt.size
    rule = next(r for r in model.rules if isinstance(r, ExecutiveHeadship))
    rule.step(model)
    assert s.head[0] == HEAD_EXECUTIVE and s.executive_lead[0] == pair[1] and s.n_led[pair[1]] == 1
    return model, int(pair[1]), np.arange(before, pt.size)


def test_two_maintained_schools_federate():
    model, lead, new = appoint()
    pt = model.partnerships
    assert len(new) == 1
    assert pt.kind[new[0]] == FEDERATION and pt.lead[new[0]] == lead
    assert sorted(pt.members(new[0])) == sorted([0, lead])


def test_two_schools_of_one_trust_form_no_new_partnership():
    model, lead, new = appoint(academies=(0, 1), trust=(0, 1))
    assert len(new) == 0
    assert model.schools.executive_time[lead] > 0  # the head's time is still divided


def test_an_academy_and_a_maintained_school_form_an_informal_partnership():
    for academies in ((0,), (1,)):
        model, lead, new = appoint(academies=academies)
        pt = model.partnerships
        assert len(new) == 1
        assert pt.kind[new[0]] == INFORMAL and pt.lead[new[0]] == lead
        assert pt.origin[new[0]] == ORIGIN_CODES["executive_head"]
    # Academies in different trusts, or standalone, too.
    model, lead, new = appoint(academies=(0, 1))
    assert model.partnerships.kind[new[0]] == INFORMAL


def test_the_executive_head_goes_when_an_informal_arrangement_ends():
    model, lead, new = appoint(academies=(1,))
    model.end_partnerships(new, "drift")
    s = model.schools
    assert s.head[0] == HEAD_VACANT and s.executive_lead[0] == -1 and s.n_led[lead] == 0


def test_no_federation_ever_holds_an_academy():
    result = _cached_run(("scenario=executive_heads", "executive_headship.start_year=0", "years=6"))
    parts, spells, schools = result.partnerships, result.memberships, result.schools
    by_exec = parts[parts.origin == "executive_head"]
    assert (by_exec.kind == "informal").any() and (by_exec.kind == "federation").any()
    federations = parts.partnership_id[parts.kind == "federation"]
    spells = spells[spells.partnership_id.isin(federations)]
    # Each federation membership at each recorded year, with the school's status that year.
    checked = 0
    for year, status in schools.groupby("year"):
        active = spells[(spells.joined_at <= year)
                        & (spells.left_at.isna() | (spells.left_at > year))]
        academy = active.merge(status[["school_id", "academy"]], on="school_id").academy
        assert not academy.any(), f"a federation holds an academy in year {year}"
        checked += len(academy)
    assert checked > 0
    assert pd.api.types.is_bool_dtype(academy)


def test_the_head_who_made_way_does_not_end_the_new_arrangement():
    """Dissolution ends an informal partnership when a member's head leaves, but not for a
    departure before it formed (here the covered school's head, who made way)."""
    no_hazards = ("rules.dissolution.end_when_head_leaves=1", "rules.dissolution.drift_per_year=0",
                  "rules.dissolution.not_worth_it_per_year=0", "rules.dissolution.competition_per_year=0")
    model, lead, new = appoint(academies=(1,), overrides=no_hazards)
    pt = model.partnerships
    older = pt.add([0, 2], INFORMAL, model.now_years - 1.0, "organic")
    model.schools.head_left_now[0] = True
    rule = next(r for r in model.rules if isinstance(r, Dissolution))
    rule.step(model)
    assert pt.end_reason[new[0]] == ACTIVE
    assert pt.end_reason[older] == REASON_CODES["head_left"]


def test_a_headship_within_a_trust_ends_when_the_lead_head_leaves():
    """No partnership holds it, so Staffing releases it: the covered school falls vacant."""
    model, lead, new = appoint(academies=(0, 1), trust=(0, 1),
                               overrides=("rules.staffing.head_turnover_per_year=1000",
                                          "rules.staffing.vacancy_fill_per_year=0"))
    assert len(new) == 0
    rule = next(r for r in model.rules if isinstance(r, Staffing))
    rule.step(model)
    s = model.schools
    assert s.head[lead] == HEAD_VACANT
    assert s.head[0] == HEAD_VACANT and s.executive_lead[0] == -1 and s.n_led[lead] == 0
