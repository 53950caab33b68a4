"""Running: joint work turns time, talent and money into growth for members, with a delay,
at a cost in leaders' time away and travel (BRIEF process 3; S0, S2 lessons 2-3 and 8, S3, S4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.core.checks import check_non_negative, check_positive, check_share
from sim.core.partnerships import ORIGIN_CODES, is_formal
from sim.rules import Rule, relax


class Running(Rule):
    """Each step, for every active membership:

    - *time away*: leaders and teachers spend time on the partnership, more for formal and funded
      work and more the further they travel (S4, S2 lesson 8); funded cover and transport relieve
      it (S2 LA lesson 5). It lowers the effective capacity of the home school: the early cost.
    - *trust*: relationship strength grows with meeting, slower at a distance (S2 lessons 2-3;
      S4 "after two years... robust"). Funded leadership time raises meeting intensity.
    - *learning*: staff talent and heads' ability grow toward stronger partners', in proportion
      to strength (S0). The focus of the work splits the gain between teaching and leadership (S3).
    - *releasing staff develops them* (S0 third point): every member's teachers and leaders grow
      in proportion to the time it releases to the partnership, whoever is stronger; this is
      what leaves the stronger partner about level (Chapman & Muijs 2014; Muijs 2015).
    - *sponsorship*: in a federation or trust led by a sponsor (``lead``), the supported members host the
      sponsor's staff rather than sending their own (a small share of the time cost) and their
      leadership capacity moves toward the sponsor's.
    - *money*: funded partnerships draw down their award evenly.
    Delay comes from trust building and from outcomes lagging teaching (Improvement).
    """

    phase = "running"
    summary = (
        "Joint work: time away (with travel; relieved by funded cover and transport), trust "
        "building, learning from stronger partners split between teaching and leadership by "
        "focus, drawing down awards.")
    reads = (
        "schools.x_km", "schools.y_km", "schools.talent", "schools.head_ability",
        "schools.capacity", "schools.executive_time", "partnerships.members", "partnerships.lead", "partnerships.n_members",
        "partnerships.kind", "partnerships.focus", "partnerships.strength",
        "partnerships.funding_gbp", "partnerships.funding_rate_gbp", "partnerships.funded_until",
        "partnerships.spent_gbp", "partnerships.origin", "levers.funding", "levers.distance",
        "levers.accountability")
    writes = (
        "schools.time_away", "schools.talent", "schools.head_ability", "schools.capacity",
        "partnerships.strength",
        "partnerships.benefit", "partnerships.time_cost", "partnerships.spent_gbp",
        "flows.spend_gbp")

    @dataclass
    class Params:
        intensity_informal: float = 0.5  # assumption: meeting intensity of an informal cluster
        intensity_funded: float = 1.0  # assumption
        intensity_federation: float = 1.0  # assumption (S1 theme 5: shared leadership roles)
        intensity_trust: float = 0.5  # assumption: a trust's central team carries much of the joint work, so its heads spend less time on it than a federation's
        time_cost_per_partnership: float = 0.08  # assumption: leader time at intensity 1 (S4: fortnightly meetings, visits)
        travel_km_scale: float = 20.0  # assumption: round trip that doubles the time cost
        trust_build_per_year: float = 1.0  # assumption: S4 "after two years... robust" (strength ~0.86 at intensity 1)
        trust_distance_km: float = 10.0  # assumption: distance that halves meeting (S2 lesson 2)
        learn_rate_per_year: float = 0.5  # assumption: gains show within ~2-5 years (Chapman et al. 2011: 2-4); no ceiling pile-up
        release_development: float = 0.5  # assumption: yearly growth of talent and leadership per unit share of time released, scaled by headroom (S0 third point); sized so the stronger partner is about level (Chapman & Muijs 2014; Muijs 2015)
        supported_time_share: float = 0.25  # assumption: share of the time cost a school supported by its sponsor pays (it hosts the sponsor's staff)
        sponsor_support_per_year: float = 0.5  # assumption: rate at which a supported school's capacity moves toward its sponsor's (its leaders work in the school)
        cover_cost_gbp_per_year: float = 25_000.0  # assumption: ~ a teacher's day a week of cover
        max_cover_relief: float = 0.7  # assumption: cover cannot replace the head's own time
        transport_cost_gbp_per_year: float = 3_000.0  # assumption: a school's partnership travel
        leadership_time_gbp_per_year: float = 15_000.0  # assumption: cost of dedicated coordinator time
        leadership_time_boost: float = 0.5  # assumption: extra intensity when fully paid (S2 lesson 8)
        max_time_away: float = 0.8  # assumption: most of leaders' time a school can spend away (it keeps at least 1 - this)

        def __post_init__(self) -> None:
            for name in ("intensity_informal", "intensity_funded", "intensity_federation",
                         "intensity_trust",
                         "time_cost_per_partnership", "trust_build_per_year", "learn_rate_per_year",
                         "release_development", "leadership_time_boost", "sponsor_support_per_year"):
                check_non_negative(name, getattr(self, name))
            for name in ("travel_km_scale", "trust_distance_km", "cover_cost_gbp_per_year",
                         "transport_cost_gbp_per_year", "leadership_time_gbp_per_year"):
                check_positive(name, getattr(self, name))
            check_share("max_cover_relief", self.max_cover_relief)
            check_share("max_time_away", self.max_time_away)
            check_share("supported_time_share", self.supported_time_share)

    # Share of the learning that goes to teaching (talent), by focus (sim.partnerships.FOCUS_NAMES);
    # the rest goes to leadership. Assumption, after S3's three areas of activity.
    TEACHING_SHARE_BY_FOCUS = np.array([0.7, 0.3, 0.5])

    def step(self, model) -> None:
        p, s, pt, dt, now = self.p, model.schools, model.partnerships, model.dt, model.now_years
        # Per-partnership arrays cover running partnerships only: row r = position in ``ids``.
        ids, pid, school, row = pt.links_by_row()
        if len(pid) == 0:
            s.time_away = np.minimum(s.executive_time, p.max_time_away)
            return
        m = len(ids)
        size_of = pt.n_members[ids].astype(float)

        # Each member's values, gathered once (each array below has a row per membership);
        # values of its partnership are taken per partnership, then spread to its members.
        x_km, y_km = s.x_km[school], s.y_km[school]
        talent, ability = s.talent[school], s.head_ability[school]
        kind, lead = pt.kind[ids], pt.lead[ids]

        # Travel: each member goes to the partnership's centre and back.
        cx = np.bincount(row, x_km, minlength=m) / size_of
        cy = np.bincount(row, y_km, minlength=m) / size_of
        travel_km = 2 * np.hypot(x_km - cx[row], y_km - cy[row])

        intensity = np.array([p.intensity_informal, p.intensity_funded,
                              p.intensity_federation, p.intensity_trust])[kind][row]
        # Money: a funded partnership's yearly award per member, while the award runs. Only the
        # few funded memberships are computed: without money, cover and leadership time are 0 and
        # transport is the distance lever's subsidy (the same values to the bit).
        funded = np.flatnonzero((pt.funded_until[ids] > now)[row])
        no_money_transport = min(1.0, model.lever("distance").transport_subsidy_share + 0.0)
        if len(funded):
            f_pid = pid[funded]
            per_member = pt.funding_rate_gbp[f_pid] / size_of[row[funded]]
            # What awarded money pays for, fixed by the programme: RISE's design for RISE pairs
            # (the accountability lever), the funding programme's for the rest.
            design, rise = model.config.funding, model.config.accountability
            is_rise = pt.origin[f_pid] == ORIGIN_CODES["rise"]
            share_cover = np.where(is_rise, rise.rise_share_cover, design.share_cover)
            share_leadership = np.where(is_rise, rise.rise_share_leadership_time,
                                        design.share_leadership_time)
            share_transport = np.where(is_rise, 0.0, design.share_transport)
            cover = np.minimum(p.max_cover_relief, per_member * share_cover / p.cover_cost_gbp_per_year)
            transport = np.minimum(1.0, model.lever("distance").transport_subsidy_share
                                   + per_member * share_transport / p.transport_cost_gbp_per_year)
            leadership = np.minimum(1.0, per_member * share_leadership / p.leadership_time_gbp_per_year)
            intensity[funded] += p.leadership_time_boost * leadership

        # A supported school (led by its sponsor in a federation or trust) hosts rather than sends staff.
        led = np.flatnonzero((is_formal(kind) & (lead >= 0))[row])
        sponsor = lead[row[led]]
        other = sponsor != school[led]
        supported, sponsor = led[other], sponsor[other]
        released = p.time_cost_per_partnership * intensity
        released[supported] *= p.supported_time_share
        time_cost = released * (1 + travel_km / p.travel_km_scale * (1 - no_money_transport))
        if len(funded):
            time_cost[funded] = (released[funded] * (1 + travel_km[funded] / p.travel_km_scale
                                                     * (1 - transport)) * (1 - cover))
        s.time_away = np.minimum(np.bincount(school, time_cost, minlength=s.n) + s.executive_time,
                                 p.max_time_away)

        # Trust grows with meeting, less at a distance.
        meeting = intensity / (1 + travel_km / 2 / p.trust_distance_km)
        build = np.bincount(row, meeting, minlength=m) / size_of
        strength = 1 - (1 - pt.strength[ids]) * np.exp(-p.trust_build_per_year * build * dt)
        pt.update(ids, strength=strength)

        # Learning from stronger partners, in proportion to trust and intensity, and development
        # of the staff each school releases (the best have least left to learn: headroom).
        others = np.maximum(size_of - 1, 1)[row]
        talent_others = (np.bincount(row, talent, minlength=m)[row] - talent) / others
        ability_others = (np.bincount(row, ability, minlength=m)[row] - ability) / others
        drive = p.learn_rate_per_year * strength[row] * intensity
        develop = p.release_development * released
        teaching_share = self.TEACHING_SHARE_BY_FOCUS[pt.focus[ids]][row]
        talent_gain = teaching_share * (drive * np.maximum(0, talent_others - talent)
                                        + develop * (1 - talent))
        ability_gain = (1 - teaching_share) * (drive * np.maximum(0, ability_others - ability)
                                               + develop * (1 - ability))
        s.talent = np.minimum(1.0, s.talent + np.bincount(school, talent_gain, minlength=s.n) * dt)
        s.head_ability = np.minimum(1.0, s.head_ability + np.bincount(school, ability_gain, minlength=s.n) * dt)

        # The sponsor's leaders work in the supported school: its capacity moves toward theirs.
        helped = school[supported]
        s.capacity[helped] = relax(s.capacity[helped],
                                   np.maximum(s.capacity[helped], s.capacity[sponsor]),
                                   p.sponsor_support_per_year, dt)

        # What members see: yearly gain and time cost, averaged over members (read by Dissolution).
        pt.update(ids, benefit=np.bincount(row, talent_gain + ability_gain, minlength=m) / size_of,
                  time_cost=np.bincount(row, time_cost, minlength=m) / size_of)

        # Money drawn down evenly, never beyond the award.
        rate = np.where(pt.funded_until[ids] > now, pt.funding_rate_gbp[ids], 0.0)
        spend = np.minimum(rate * dt, pt.funding_gbp[ids] - pt.spent_gbp[ids])
        pt.update(ids, spent_gbp=pt.spent_gbp[ids] + spend)
        model.flows.spend_gbp += float(spend.sum())
