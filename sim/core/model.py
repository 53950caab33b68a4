"""PartnershipModel: schools, partnerships and the rules that change them, one step at a time."""

from __future__ import annotations

import functools
import json
import pickle
import zlib
from dataclasses import asdict
from itertools import chain, combinations

import mesa
import numpy as np

from sim.core.agents import School
from sim.core.guards import check_finite_state
from sim.core.levers import LEVERS, differs_from_today, todays_policy
from sim.core.partnerships import KIND_CODES, PartnershipTable
from sim.core.recorder import Recorder
from sim.core.rule import PHASES, Rule
from sim.core.settings import Settings
from sim.core.state import SchoolState
from sim.core.vocabulary import HEAD_EXECUTIVE, HEAD_VACANT


def random_stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for the component ``name``: the same name and seed always give
    the same draws, whatever other components exist (common random numbers across scenarios)."""
    return np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(entropy=seed, spawn_key=(zlib.crc32(name.encode()),))))


def spinup_key(settings: Settings) -> str:
    """What the state at time 0 depends on: runs with equal keys start identically."""
    c = settings.config
    return json.dumps({"seed": c.seed, "spinup_years": c.spinup_years,
                       "spinup_steps_per_year": c.spinup_steps_per_year, "landscape": c.landscape,
                       "rules": asdict(c)["rules"]}, sort_keys=True, default=str)


@functools.cache
def _pair_positions(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i, j), i < j, of every pair among ``size`` members (kept: asked once per
    partnership ended, mostly for the same few sizes)."""
    return np.triu_indices(size, 1)


class StepFlows:
    """Counts of what happened during the current step (reset at its start)."""

    def __init__(self) -> None:
        self.formed = 0
        self.dissolved = 0
        self.left = 0  # schools leaving a federation or trust that carries on
        self.converted = 0  # maintained schools becoming academies
        self.sponsored = 0  # schools brokered into a trust after an inadequate grade
        self.spend_gbp = 0.0


class PartnershipModel(mesa.Model):
    """Schools forming, running and dissolving partnerships under the configured levers.

    Each step runs the rules in the fixed order of ``sim.rules.PHASES``; time is in years and each
    step lasts ``1 / steps_per_year``.
    """

    def __init__(self, settings: Settings) -> None:
        config = settings.config
        super().__init__(rng=config.seed)
        self.settings = settings
        self.config = config
        self.n_steps = round(config.years * config.steps_per_year)
        # Step index: negative during the spin-up (which may use a coarser step), 0 at time 0.
        self.tick = -round(config.spinup_years * config.spinup_steps_per_year)
        self.now_years = self.time_at(self.tick)
        self.flows = StepFlows()
        self._todays_policy = {name: todays_policy(name) for name in LEVERS}
        self._compare_levers()

        landscape_cls, landscape_params = settings.landscape
        table = landscape_cls(landscape_params).build(random_stream(config.seed, "landscape"))
        self.landscape_notes = table.notes  # what a data landscape imputed or skipped
        self.schools = SchoolState(table, random_stream(config.seed, "initial_state"), self.now_years)
        self.partnerships = PartnershipTable(self.schools.n)
        for members, kind in table.initial_partnerships:
            pid = self.partnerships.add(members, KIND_CODES[kind], self.now_years, "initial",
                                        impact_measure=True)
            self.partnerships.update(pid, strength=0.8)  # assumption: established relationships
            self.schools.n_past_partnerships[members] += 1
        self.schools.n_partnerships = self.partnerships.count_per_school()

        self.rules = []
        for name, cls, params in settings.rules:
            self.rules.append(cls(params, random_stream(config.seed, f"rule:{name}")))
        # Stable sort: rules of one phase keep their config order.
        self.rules.sort(key=lambda rule: PHASES.index(rule.phase))

        self.school_agents = [School(self, i) for i in range(self.schools.n)]
        # Mesa 3.3 counts agent ids per model in a dict on the Agent class, which would keep every
        # model (and all its state) alive for good; schools are only created here, so drop it.
        getattr(mesa.Agent, "_ids", {}).pop(self, None)
        for rule in self.rules:
            rule.setup(self)
        # Spin-up: today's policy runs until time 0 (levers start at year >= 0), so every
        # scenario on the same seed starts from the same settled state.
        while self.tick < 0:
            self._advance()
        self.partnerships.drop_ended()  # the spin-up's history: not in the results
        for rule in self.rules:
            rule.start(self)
        # Results report outcomes against the national mean at time 0 (rules keep their scale).
        self.outcome_reference = float(np.average(self.schools.outcome, weights=self.schools.pupils))
        self.flows = StepFlows()  # time 0 records a state, not the spin-up's last step
        self.recorder = Recorder(self)
        self.recorder.record()

    @property
    def dt(self) -> float:
        """Length of the current step, years."""
        steps = self.config.steps_per_year if self.tick >= 0 else self.config.spinup_steps_per_year
        return 1.0 / steps

    def time_at(self, tick: int) -> float:
        """Time in years at the start of step ``tick``."""
        steps = self.config.steps_per_year if tick >= 0 else self.config.spinup_steps_per_year
        return tick / steps

    def provider(self, service: str) -> Rule | None:
        """The switched-on rule that provides ``service`` (see ``Rule.provides``), if any."""
        for rule in self.rules:
            if service in rule.provides:
                return rule
        return None

    def step(self) -> None:
        """Advance one step: every rule at its phase, then record the results."""
        self._advance()
        self.recorder.record()

    def _advance(self) -> None:
        self.flows = StepFlows()
        self.schools.clear_per_step()
        for rule in self.rules:
            rule.step(self)
        self.tick += 1
        self.now_years = self.time_at(self.tick)
        self.schools.n_partnerships = self.partnerships.count_per_school()
        # sim.core.guards: results are never silently NaN (everything at each whole year).
        check_finite_state(self, full=float(self.now_years).is_integer())

    def run(self, progress: bool = False, observer=None) -> None:
        """Run every step of the configured horizon.

        ``observer``: an object with ``before_step(model)`` and ``after_step(model)``, called
        around every step (to tally what the recorded tables do not keep, e.g. calibration's
        inspection transitions); it must not change the model.
        """
        steps = range(self.n_steps)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc=f"{self.config.name} ({self.schools.n} schools)",
                         unit="step", mininterval=0.5)
        for _ in steps:
            if observer is not None:
                observer.before_step(self)
            self.step()
            if observer is not None:
                observer.after_step(self)
        check_finite_state(self)  # the run may end within a year
        self.recorder.finish()

    # -- changes several rules make, kept in one place so state stays consistent ----------------
    def form_partnership(self, members, kind: int, origin: str, **fields) -> int:
        """Start a partnership and update the members' histories. It starts with the strength of
        the members' strongest past joint work (S2 lesson 1: "partnership grows out of
        partnership")."""
        pt, s = self.partnerships, self.schools
        pid = pt.add(members, kind, self.now_years, origin, **fields)
        # Plain Python over the (sorted) members: a partnership starts with two to four schools,
        # too few for numpy's per-call cost to pay (tens of thousands are formed in a run).
        members = pt.member_lists()[pid]
        past = max(s.pair_tie(a, b) for a, b in combinations(members, 2))
        if past > 0:
            pt.update(pid, strength=past)
        for school in members:
            s.n_past_partnerships[school] += 1
        self.flows.formed += 1
        return pid

    def end_partnerships(self, pids, reason) -> None:
        """End partnerships (for ``reason``, or one reason each): remember members' ties and
        release executive-head arrangements."""
        pids = np.atleast_1d(np.asarray(pids, dtype=np.int64))
        if len(pids) == 0:
            return
        s, pt = self.schools, self.partnerships
        # Every pair of members remembers the partnership's strength. Partnerships of one size
        # share a table of members, whose pairs numpy takes at once (hundreds end in some steps;
        # record_ties does not depend on the pairs' order).
        member_lists = pt.member_lists()
        by_size: dict[int, list[int]] = {}
        for pid in pids.tolist():
            by_size.setdefault(len(member_lists[pid]), []).append(pid)
        a, b, tie = [], [], []
        for size, group in by_size.items():
            members = np.array([member_lists[pid] for pid in group], dtype=np.int64)
            first, second = _pair_positions(size)
            a.append(members[:, first].ravel())
            b.append(members[:, second].ravel())
            tie.append(np.repeat(pt.strength[group], len(first)))
        if sum(map(len, a)):
            s.record_ties(np.concatenate(a), np.concatenate(b), np.concatenate(tie))
        # Members covered by the head of their partnership's lead, all at once (a school covered
        # through two ending partnerships with the same lead is released once, as one by one).
        led = pids[pt.lead[pids] >= 0]
        if len(led):
            lists = [member_lists[pid] for pid in led.tolist()]
            school = np.fromiter(chain.from_iterable(lists), dtype=np.int64)
            lead = np.repeat(pt.lead[led], [len(members) for members in lists])
            self.release_executive(np.unique(school[s.executive_lead[school] == lead]))
        pt.end(pids, reason, self.now_years)
        self.flows.dissolved += len(pids)

    def leave_partnership(self, pid: int, school: int, reason: str) -> None:
        """One school leaves a partnership; with fewer than two left, the partnership ends."""
        pt, s = self.partnerships, self.schools
        if pt.n_members[pid] <= 2:
            self.end_partnerships([pid], reason)
            return
        others = pt.members(pid)
        others = others[others != school]
        s.record_ties(np.full(len(others), school), others, np.full(len(others), pt.strength[pid]))
        lead = int(pt.lead[pid])
        if lead == school:  # the lead's head no longer covers the members it led
            self.release_executive(others[s.executive_lead[others] == lead])
        elif lead >= 0 and s.executive_lead[school] == lead:
            self.release_executive(np.array([school]))
        pt.leave(pid, school, reason, self.now_years)
        self.flows.left += 1

    def release_executive(self, covered: np.ndarray) -> None:
        """Schools lose the executive head covering them and fall vacant."""
        s = self.schools
        covered = covered[s.head[covered] == HEAD_EXECUTIVE]
        if len(covered) == 0:
            return
        np.subtract.at(s.n_led, s.executive_lead[covered], 1)
        s.executive_lead[covered] = -1
        s.head[covered] = HEAD_VACANT

    def fork(self, settings: Settings) -> PartnershipModel:
        """A copy of this model, at time 0, that goes on under ``settings``.

        The spin-up depends only on what ``spinup_key`` covers (levers are off until time 0), so
        a fork gives exactly the results of building the model from ``settings`` afresh.
        """
        if self.tick != 0:
            raise RuntimeError("only a model at time 0 (just spun up) can be forked")
        if spinup_key(settings) != spinup_key(self.settings):
            raise ValueError("fork() needs the same seed, landscape, rules, step and spin-up")
        clone = pickle.loads(pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL))  # a deep copy, 2x faster
        clone.settings, clone.config = settings, settings.config
        clone._compare_levers()
        clone.n_steps = round(settings.config.years * settings.config.steps_per_year)
        clone.recorder = Recorder(clone)
        clone.recorder.record()
        return clone

    def todays_policy(self, name: str):
        """The lever's defaults: today's policy, in force whenever a scenario's lever is not."""
        return self._todays_policy[name]

    def policy_in_force(self, name: str, at_years: float | None = None) -> bool:
        """Whether the lever's settings (not its label) differ from today's policy and are in force
        now (or at time ``at_years``)."""
        at_years = self.now_years if at_years is None else at_years
        return self._differs_from_today[name] and getattr(self.config, name).active(at_years)

    def _compare_levers(self) -> None:
        self._differs_from_today = {name: differs_from_today(name, getattr(self.config, name))
                                    for name in LEVERS}

    def lever(self, name: str):
        """The lever's settings while it is in force, else its defaults (today's policy)."""
        settings = getattr(self.config, name)
        return settings if settings.active(self.now_years) else self._todays_policy[name]
