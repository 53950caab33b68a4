"""The four policy levers (EMA Workbench's *levers*): each a dataclass whose fields are policy
choices. A lever's defaults are today's policy; a scenario's lever is in force from ``start_year``
until ``stop_year``, and outside that window today's policy applies."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sim.core.checks import (
    check,
    check_fields_finite,
    check_non_negative,
    check_positive,
    check_share,
)

LEVERS = ("funding", "distance", "accountability", "executive_headship")
LABELS = ("programme", "regime")  # names for people; no rule reads them
# The labels the option files of conf/funding, conf/accountability and conf/executive_headship use
# (a test keeps them in step); a new option adds its label here.
FUNDING_PROGRAMMES = ("none", "pathfinder", "rural_clusters", "cluster_lump_sums")
ACCOUNTABILITY_REGIMES = ("report_cards", "single_grades", "single_grades_exempt", "no_rise",
                          "high_stakes", "partnership_credit")
GRADINGS = ("report_cards", "single_grades")  # how Ofsted judges: 2025 report cards or the historic single grade
EXECUTIVE_PROGRAMMES = ("none", "expansion")

# The rules a lever needs when it differs from today's policy: config name under ``rules`` and the
# class that rule must be (or subclass). Without them a policy would be "in force" yet do nothing.
NEEDS_RULES = {
    "funding": {"funding": "sim.rules.funding.FundedProgramme",  # awards the money
                "need": "sim.rules.need.Need",  # who is eligible as an emerging school
                "running": "sim.rules.running.Running"},  # spends it
    "distance": {"formation": "sim.rules.formation.Formation",  # the cap on partners' distance
                 "running": "sim.rules.running.Running"},  # the transport subsidy
    "accountability": {"accountability": "sim.rules.accountability.Accountability"},
    "executive_headship": {"executive_headship": "sim.rules.executive_headship.ExecutiveHeadship"},
}


@dataclass
class Lever:
    """Common timing of every lever: active from ``start_year`` until ``stop_year`` (None: never stops)."""

    start_year: float = 0.0
    stop_year: float | None = None

    def active(self, t_years: float) -> bool:
        """Whether the lever is in force at time ``t_years`` (years since the run started)."""
        return t_years >= self.start_year and (self.stop_year is None or t_years < self.stop_year)

    def _check_common(self, group: str) -> None:
        """Checks every lever shares: finite numbers, then its timing."""
        check_fields_finite(f"{group}.", self)
        check_non_negative(f"{group}.start_year", self.start_year)
        if self.stop_year is not None:
            check(f"{group}.stop_year", self.stop_year, self.stop_year > self.start_year,
                  f"a year after start_year ({self.start_year}), or null for no end")


@dataclass
class FundingConfig(Lever):
    """A partnership funding programme (S3: Wales Lead and Emerging Practitioner Pathfinder)."""

    programme: str = "none"
    budget_gbp_per_year_per_1000_schools: float = 0.0  # money for new awards; 0 = no programme
    amount_primary_gbp: float = 30_000.0  # per award, S3
    amount_secondary_gbp: float = 90_000.0  # per award, S3
    duration_years: float = 1.5  # S3: 18 months
    recipient: str = "pair"  # "pair": a lead + an emerging school; "cluster": lump sum to a cluster
    cluster_size: int = 2  # schools per funded cluster when recipient is "cluster" (assumption); pairs are 2
    eligible: str = "all"  # "all" | "small_rural" (S2: small rural primaries) | "struggling"
    share_leadership_time: float = 0.5  # what the money pays for (S2 lesson 8, LA 5); shares sum to 1
    share_cover: float = 0.4
    share_transport: float = 0.1

    def __post_init__(self) -> None:
        self._check_common("funding")
        check("funding.programme", self.programme, self.programme in FUNDING_PROGRAMMES,
              f"one of {', '.join(FUNDING_PROGRAMMES)}")
        check_non_negative("funding.budget_gbp_per_year_per_1000_schools",
                           self.budget_gbp_per_year_per_1000_schools)
        check_positive("funding.amount_primary_gbp", self.amount_primary_gbp)
        check_positive("funding.amount_secondary_gbp", self.amount_secondary_gbp)
        check_positive("funding.duration_years", self.duration_years)
        check("funding.recipient", self.recipient, self.recipient in ("pair", "cluster"),
              "'pair' or 'cluster'")
        check("funding.cluster_size", self.cluster_size, 2 <= self.cluster_size <= 12,
              "an integer from 2 to 12")
        check("funding.eligible", self.eligible,
              self.eligible in ("all", "small_rural", "struggling"),
              "'all', 'small_rural' or 'struggling'")
        shares = ("share_leadership_time", "share_cover", "share_transport")
        for name in shares:
            check_share(f"funding.{name}", getattr(self, name))
        total = sum(getattr(self, name) for name in shares)
        check("funding.share_*", total, abs(total - 1.0) < 1e-6,
              "share_leadership_time + share_cover + share_transport must sum to 1")


@dataclass
class DistanceConfig(Lever):
    """Rules on how far apart partners may be (S2 lesson 2, LA lesson 5)."""

    max_partner_km: float | None = None  # null: no cap
    transport_subsidy_share: float = 0.0  # share of partnership travel cost paid centrally

    def __post_init__(self) -> None:
        self._check_common("distance")
        if self.max_partner_km is not None:
            check_positive("distance.max_partner_km", self.max_partner_km)
        check_share("distance.transport_subsidy_share", self.transport_subsidy_share)


@dataclass
class AccountabilityConfig(Lever):
    """The inspection regime, competition for pupils and the support it brokers for stuck schools
    (S2 policymaker lesson 9; issue 15). Today's (2026): Ofsted report cards (since 10 November
    2025) and RISE, the DfE's Regional Improvement for Standards and Excellence teams.

    RISE lives in this lever rather than a lever of its own because it acts on what inspection
    finds ("stuck" is defined by consecutive inspections) and, like ``intervention`` (sponsorship
    after a failing grade), is the accountability system's response to it; ``rise_*`` settings
    with no advisers give "no RISE"."""

    regime: str = "report_cards"
    grading: str = "report_cards"  # "report_cards" (2025 framework) | "single_grades" (historic, 2019 framework)
    inspection_frequency: float = 1.0  # multiplier on the base interval rates; 2 = twice as often
    outstanding_exempt: bool = False  # evidence: outstanding schools were exempt from routine inspection 2012-2020 (inspected only on concerns); the exemption was lifted in 2020 and they are inspected in the normal cycle again (Education (Exemption from School and Further Education Institutions Inspections) (England) (Amendment) Regulations 2020; Ofsted 2022)
    stakes: float = 0.5  # 0..1: how much a low grade costs a school (pressure, intervention)
    competition: float = 0.3  # 0..1: strength of competition for pupils between nearby schools
    partnership_credit: float = 0.0  # 0..1: weight inspection gives to evidenced partnership work
    dip_penalty: float = 0.5  # 0..1: weight inspection gives to a recent fall in outcomes
    intervention: str = "support_partnership"  # on an inadequate grade: "support_partnership"|"none"
    rise_advisers_per_1000_schools: float = 3.2  # evidence: about 65 RISE advisers (April 2025) for about 20,300 state-funded primary and secondary schools
    rise_schools_per_adviser_per_year: float = 3.1  # evidence: a pilot of 32 schools extended to more than 200 in 2025, with 65 advisers (200 / 65)
    rise_gbp_per_school: float = 100_000.0  # evidence: up to GBP 100,000 of support per school (DfE 2025); GBP 20m / 200 schools
    rise_duration_years: float = 2.0  # assumption: the brokered support and its money last two years (the DfE has not fixed a term)
    rise_share_leadership_time: float = 0.5  # assumption: what RISE money buys: leaders' time for the improvement work ...
    rise_share_cover: float = 0.5  # ... and cover for the staff who take part; nothing for transport (partners are near); the two sum to 1

    def __post_init__(self) -> None:
        self._check_common("accountability")
        check("accountability.regime", self.regime, self.regime in ACCOUNTABILITY_REGIMES,
              f"one of {', '.join(ACCOUNTABILITY_REGIMES)}")
        check("accountability.grading", self.grading, self.grading in GRADINGS,
              f"one of {', '.join(GRADINGS)}")
        check_positive("accountability.inspection_frequency", self.inspection_frequency)
        for name in ("stakes", "competition", "partnership_credit", "dip_penalty"):
            check_share(f"accountability.{name}", getattr(self, name))
        check("accountability.intervention", self.intervention,
              self.intervention in ("support_partnership", "none"),
              "'support_partnership' or 'none'")
        for name in ("rise_advisers_per_1000_schools", "rise_schools_per_adviser_per_year",
                     "rise_gbp_per_school"):
            check_non_negative(f"accountability.{name}", getattr(self, name))
        check_positive("accountability.rise_duration_years", self.rise_duration_years)
        for name in ("rise_share_leadership_time", "rise_share_cover"):
            check_share(f"accountability.{name}", getattr(self, name))
        total = self.rise_share_leadership_time + self.rise_share_cover
        check("accountability.rise_share_*", total, abs(total - 1.0) < 1e-6,
              "rise_share_leadership_time + rise_share_cover must sum to 1")

    @property
    def rise_schools_per_year_per_1000_schools(self) -> float:
        """RISE's capacity: schools its advisers can take on a year, per 1,000 schools."""
        return self.rise_advisers_per_1000_schools * self.rise_schools_per_adviser_per_year


@dataclass
class ExecutiveHeadshipConfig(Lever):
    """Executive headship: strong heads taking on struggling or headless schools (S2 LA 3, PL 5)."""

    programme: str = "none"
    max_share_of_heads: float = 0.03  # cap on executive heads, share of schools (3% in 2014, Lord et al. 2016)
    max_schools_per_head: int = 2  # schools one executive head leads, own school included
    triggers: list[str] = field(default_factory=lambda: ["vacancy"])  # vacancy | failing (inadequate) | small (small primary with a vacant headship: targets a programme at small schools)
    appointment_rate_per_year: float = 0.5  # rate a triggered school gets an executive head
    search_radius_km: float = 15.0  # how far away the lead school may be

    def __post_init__(self) -> None:
        self._check_common("executive_headship")
        check("executive_headship.programme", self.programme,
              self.programme in EXECUTIVE_PROGRAMMES, f"one of {', '.join(EXECUTIVE_PROGRAMMES)}")
        check_share("executive_headship.max_share_of_heads", self.max_share_of_heads)
        check("executive_headship.max_schools_per_head", self.max_schools_per_head,
              2 <= self.max_schools_per_head <= 10, "an integer from 2 to 10")
        for trigger in self.triggers:
            check("executive_headship.triggers", trigger, trigger in ("vacancy", "failing", "small"),
                  "a list drawn from 'vacancy', 'failing', 'small'")
        check_non_negative("executive_headship.appointment_rate_per_year",
                           self.appointment_rate_per_year)
        check_positive("executive_headship.search_radius_km", self.search_radius_km)


def todays_policy(name: str):
    """Today's policy for the lever ``name``: its defaults."""
    return LEVER_CLASSES[name]()


def differs_from_today(name: str, lever) -> bool:
    """Whether a lever's settings (not its label) differ from today's policy. The one test of
    "this lever is a policy change", used by the model, the recorder and the dashboard."""
    def settings(value) -> dict:
        return {k: v for k, v in dataclasses.asdict(value).items() if k not in LABELS}

    return settings(lever) != settings(todays_policy(name))


LEVER_CLASSES = {"funding": FundingConfig, "distance": DistanceConfig,
                 "accountability": AccountabilityConfig,
                 "executive_headship": ExecutiveHeadshipConfig}
