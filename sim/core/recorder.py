"""Collecting a run's results into tables: a time series, yearly school panels, partnerships."""

from __future__ import annotations

import copy
import gc
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.core.partnerships import (
    ACTIVE,
    FEDERATION,
    FOCUS_NAMES,
    FUNDED,
    INFORMAL,
    KIND_NAMES,
    ORIGIN_NAMES,
    REASON_NAMES,
    TRUST,
)
from sim.core.vocabulary import (
    HEAD_EXECUTIVE,
    HEAD_STATUS_NAMES,
    HEAD_VACANT,
    PHASE_NAMES,
    PRIMARY,
    REPORT_CARD_AREAS,
    REPORT_CARD_POINTS,
    SECONDARY,
)

if TYPE_CHECKING:
    from sim.core.model import PartnershipModel

LEVERS = ("funding", "distance", "accountability", "executive_headship")


# Time-series columns that count events during a step (summed over a year, not sampled).
FLOW_COLUMNS = ("new_formed", "new_dissolved", "new_left", "new_converted", "new_sponsored",
                "spend_gbp")


def disadvantage_gap(pupils, fsm, outcome, gap) -> float:
    """National gap (months) between disadvantaged pupils and others, within and between schools."""
    # Weighted sums as multiply-and-sum, not ``@``: a BLAS dot product of one vector spends
    # milliseconds waking its threads, far more than the sum, when the machine is busy.
    w_dis = pupils * fsm
    w_other = pupils - w_dis
    mean_dis = (w_dis * (outcome - (1 - fsm) * gap)).sum() / w_dis.sum()
    mean_other = (w_other * (outcome + fsm * gap)).sum() / w_other.sum()
    return float(mean_other - mean_dis)


def share(flag: np.ndarray, among: np.ndarray) -> float:
    """Share of the schools ``among`` (a mask) with ``flag`` set; 0 if there are none."""
    return float(flag[among].mean()) if among.any() else 0.0


# What pandas makes of numpy strings: its string dtype from pandas 3, Python objects before.
_STRINGS = pd.Series(np.array(["a"])).dtype


def named(names, codes: np.ndarray):
    """The column ``names[codes]`` (codes from 0), as pandas would make it of numpy strings: in
    pandas 3 through Arrow's dictionary encoding, about 7x faster than converting each string
    (a national run writes over half a million)."""
    if not isinstance(_STRINGS, pd.StringDtype):
        return np.asarray(names, dtype=object)[codes]
    labels = pa.DictionaryArray.from_arrays(pa.array(codes, type=pa.int32()), pa.array(list(names)))
    return pd.array(labels.cast(pa.large_string()), dtype=_STRINGS)


def reason_names(codes: np.ndarray):
    """Why partnerships or memberships ended, by name; empty for those still running."""
    return named(("", *REASON_NAMES), np.where(codes == ACTIVE, 0, codes + 1))


def report_card_shares(area_grade: np.ndarray, safeguarding_met: np.ndarray) -> dict[str, float]:
    """Share of schools holding a report card, and among them the share at each point of the
    scale in each area (``share_<area>_<point>``) and with safeguarding not met (0 if none)."""
    carded = area_grade[:, 0] > 0
    n_carded = int(carded.sum())
    row = {"share_report_card": n_carded / len(carded)}
    # One count over every (area, point) of every school: a school without a card holds point 0
    # in every area (a card sets all areas, a single grade clears them), which is no share.
    n_points = len(REPORT_CARD_POINTS) + 1
    codes = area_grade + n_points * np.arange(len(REPORT_CARD_AREAS), dtype=area_grade.dtype)
    counts = np.bincount(codes.ravel(), minlength=n_points * len(REPORT_CARD_AREAS))
    shares = (counts.reshape(len(REPORT_CARD_AREAS), n_points)[:, 1:] / max(n_carded, 1)).tolist()
    for area, area_shares in zip(REPORT_CARD_AREAS, shares, strict=True):
        for name, value in zip(REPORT_CARD_POINTS, area_shares, strict=True):
            row[f"share_{area}_{name}"] = value
    row["share_safeguarding_not_met"] = share(~safeguarding_met, carded)
    return row


class Recorder:
    """Appends one time-series row per step and one school panel per whole year."""

    def __init__(self, model: PartnershipModel) -> None:
        self.model = model
        self.every_step = model.config.output.timeseries == "step"
        self.pending = None  # flows of the steps since the last row, when rows are yearly
        self.rows: list[dict] = []
        self.school_years: list[dict[str, np.ndarray]] = []
        self.cum_spend_gbp = 0.0
        self.timeseries: pd.DataFrame | None = None
        self.schools: pd.DataFrame | None = None
        self.partnerships: pd.DataFrame | None = None
        self.memberships: pd.DataFrame | None = None

    def record(self) -> None:
        m = self.model
        self.cum_spend_gbp += m.flows.spend_gbp
        whole_year = m.tick % m.config.steps_per_year == 0
        if not (self.every_step or whole_year):
            self._carry_flows()
            return
        flows = m.flows
        if self.pending is not None:  # with the flows of the year's earlier steps
            self._carry_flows()
            flows, self.pending = self.pending, None
        s = m.schools
        pt = m.partnerships
        kinds = np.bincount(pt.kind[pt.active_ids()], minlength=len(KIND_NAMES))
        heads = np.bincount(s.head, minlength=3)
        grades = np.bincount(s.grade, minlength=5) / s.n
        in_trust = pt.count_per_school([TRUST]) > 0
        row = {
            "step": m.tick,
            "time_years": m.now_years,
            "mean_outcome": float((s.outcome * s.pupils).sum() / s.pupils.sum()) - m.outcome_reference,
            "disadvantage_gap": disadvantage_gap(s.pupils, s.fsm, s.outcome, s.gap),
            "outcome_spread": float(np.std(s.outcome)),
            "mean_talent": float(s.talent.mean()),
            "mean_capacity": float(s.capacity.mean()),
            "n_partnerships": int(kinds.sum()),
            "n_informal": int(kinds[INFORMAL]),
            "n_funded": int(kinds[FUNDED]),
            "n_federation": int(kinds[FEDERATION]),
            "n_trust": int(kinds[TRUST]),
            "n_schools_in_trust": int(in_trust.sum()),
            "n_standalone_academies": int((s.academy & ~in_trust).sum()),
            "share_academy_primary": share(s.academy, s.phase == PRIMARY),
            "share_academy_secondary": share(s.academy, s.phase == SECONDARY),
            "new_formed": flows.formed,
            "new_dissolved": flows.dissolved,
            "new_left": flows.left,
            "new_converted": flows.converted,
            "new_sponsored": flows.sponsored,
            "n_schools_partnered": int((s.n_partnerships > 0).sum()),
            "n_executive_heads": int((s.n_led > 0).sum()),
            "n_schools_executive_covered": int(heads[HEAD_EXECUTIVE]),
            "n_head_vacancies": int(heads[HEAD_VACANT]),
            "mean_time_away": float(s.time_away.mean()),
            "spend_gbp": flows.spend_gbp,
            "cum_spend_gbp": self.cum_spend_gbp,
        }
        for grade, name in enumerate(("outstanding", "good", "requires_improvement", "inadequate"), 1):
            row[f"share_{name}"] = float(grades[grade])
        row |= report_card_shares(s.area_grade, s.safeguarding_met)
        # Whether the lever was in force during the step that ends here (read at its start).
        step_start = m.time_at(m.tick - 1) if m.tick > 0 else m.now_years
        for lever in LEVERS:
            row[f"{lever}_active"] = m.policy_in_force(lever, step_start)
        for rule in m.rules:
            for name, value in rule.report(m).items():
                if name in row:
                    raise ValueError(f"{type(rule).__name__}.report() column '{name}' already exists")
                row[name] = value
        self.rows.append(row)
        if whole_year:
            self.school_years.append(self._school_panel())

    def _carry_flows(self) -> None:
        """Add this step's flows to those pending for the next (yearly) row."""
        flows = self.model.flows
        if self.pending is None:
            self.pending = copy.copy(flows)
            return
        for name, value in vars(flows).items():
            setattr(self.pending, name, getattr(self.pending, name) + value)

    def _school_panel(self) -> dict[str, np.ndarray]:
        """This year's row for every school, as columns copied now (one DataFrame is built at
        the end)."""
        m = self.model
        s = m.schools
        lead = s.executive_lead
        return {
            "year": np.full(s.n, round(m.now_years), dtype=np.int64),
            "school_id": s.school_id.copy(),
            "phase": s.phase.copy(),  # codes: named in finish()
            "x_km": s.x_km.copy(),
            "y_km": s.y_km.copy(),
            "rural": s.rural.copy(),
            "pupils": s.pupils.copy(),
            "fsm": s.fsm.copy(),
            "academy": s.academy.copy(),
            "capacity": s.capacity.copy(),
            "talent": s.talent.copy(),
            "outcome": s.outcome - m.outcome_reference,
            "gap": s.gap.copy(),
            "grade": s.grade.copy(),
            "stuck": s.stuck.copy(),
            "head_status": s.head.copy(),  # codes: named in finish()
            "executive_lead_id": np.where(lead >= 0, s.school_id[np.maximum(lead, 0)], -1),
            "n_partnerships": s.n_partnerships.copy(),
            "time_away": s.time_away.copy(),
        }

    def finish(self) -> None:
        """Build the tables (called once the run ends)."""
        # The tables hold tens of thousands of new lists (partnerships' members), all kept: the
        # cyclic collector, set off by so many, would walk the model's hundreds of thousands of
        # objects again and again for nothing (0.13-0.25 s of a national run, measured at
        # 8db0c59). It is paused while they are built.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build_tables()
        finally:
            if collecting:
                gc.enable()

    def _build_tables(self) -> None:
        m = self.model
        self.timeseries = pd.DataFrame(self.rows)
        panel = {name: np.concatenate([year[name] for year in self.school_years])
                 for name in self.school_years[0]}
        panel["phase"] = named(PHASE_NAMES, panel["phase"])
        panel["head_status"] = named(HEAD_STATUS_NAMES, panel["head_status"])
        self.schools = pd.DataFrame(panel)
        pt = m.partnerships
        school_ids = m.schools.school_id.tolist()
        # Every row: those running at time 0 and those formed since (the spin-up's ended
        # partnerships were dropped at time 0, PartnershipTable.drop_ended).
        rows = np.arange(pt.size)
        member_lists = pt.member_lists()
        school_id_of = school_ids.__getitem__  # map() with a bound method: no Python frame a member
        self.partnerships = pd.DataFrame({
            "partnership_id": rows,
            "members": [list(map(school_id_of, member_lists[i])) for i in rows.tolist()],
            "n_members": pt.n_members[rows],
            "kind": named(KIND_NAMES, pt.kind[rows]),
            "origin": named(ORIGIN_NAMES, pt.origin[rows]),
            "focus": named(FOCUS_NAMES, pt.focus[rows]),
            "formed_at": pt.formed_at[rows],
            "formalised_at": pt.formalised_at[rows],
            "ended_at": pt.ended_at[rows],
            "end_reason": reason_names(pt.end_reason[rows]),
            "strength": pt.strength[rows],
            "impact_measure": pt.impact_measure[rows],
            "funding_gbp": pt.funding_gbp[rows],
            "funded_until": pt.funded_until[rows],
            "spent_gbp": pt.spent_gbp[rows],
        })
        spells = pt.memberships(rows)
        self.memberships = pd.DataFrame({
            "partnership_id": spells["pid"],
            "school_id": m.schools.school_id[spells["school"]],
            "joined_at": spells["joined"],
            "left_at": spells["left"],
            "left_reason": reason_names(spells["reason"]),
            "joined_how": named(ORIGIN_NAMES, spells["how"]),
        })
