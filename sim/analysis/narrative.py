"""Sentences generated from results, so that a notebook's text cannot say something its tables do
not: every number and direction in a ``Narrative`` comes from a row of a computed table, and each
is kept as a ``Claim`` that can be checked against that table again (``Narrative.disagreements``;
the notebooks' tests do this after running them).

    story = Narrative()
    story.add(effect_sentence("The programme's effect at year 10", table, row, unit="months"))
    story          # shown as Markdown in a notebook
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.paired import first_distinguishable_year

ABOVE, BELOW, UNCLEAR = "above zero", "below zero", "not distinguishable from zero"
INTERVAL_COLUMNS = ("difference", "low", "high")  # the notebooks' paired-difference tables
DIGITS = 2


def verdict(low: float, high: float) -> str:
    """Where a 95% interval lies: wholly above zero, wholly below, or across it."""
    return ABOVE if low > 0 else BELOW if high < 0 else UNCLEAR


def signed(value: float, digits: int = DIGITS) -> str:
    """``+0.12`` / ``-0.05``; a value that rounds to zero is ``0.00`` (never ``-0.00``)."""
    text = f"{value:+.{digits}f}"
    return f"{0:.{digits}f}" if float(text) == 0 else text


@dataclass
class Claim:
    """One stated result: a value with its interval and what the text concludes from it, and where
    it came from (``source.loc[row, columns]``), to check it again later.

    ``kind``: "effect" (the value, interval and verdict of one row) or "lasting_from" (``value`` is
    the first year from which every later row's interval lies on the ``conclusion``'s side of zero;
    NaN: no such year).
    """

    what: str
    value: float
    low: float
    high: float
    conclusion: str
    source: pd.DataFrame = field(repr=False, compare=False)
    row: object = None
    columns: tuple[str, str, str] = INTERVAL_COLUMNS
    kind: str = "effect"
    year_column: str | None = None

    def disagreements(self) -> list[str]:
        """What in the claim no longer agrees with its source table (empty when all agrees)."""
        value_col, low_col, high_col = self.columns
        if self.kind == "lasting_from":
            return self._lasting_disagreements(low_col, high_col)
        row = self.source.loc[self.row]
        problems = [f"{self.what}: stated {name} {stated:.4g}, table says {actual:.4g}"
                    for name, stated, actual in (("value", self.value, row[value_col]),
                                                 ("low", self.low, row[low_col]),
                                                 ("high", self.high, row[high_col]))
                    if not np.isclose(stated, actual, rtol=1e-9, atol=1e-12)]
        actual = verdict(row[low_col], row[high_col])
        if self.conclusion != actual:
            problems.append(f"{self.what}: stated '{self.conclusion}', the interval is {actual}")
        return problems

    def _lasting_disagreements(self, low_col: str, high_col: str) -> list[str]:
        actual = lasting_from(self.source, self.year_column, self.conclusion, (low_col, high_col))
        same = (np.isnan(actual) and np.isnan(self.value)) or np.isclose(actual, self.value)
        return [] if same else [f"{self.what}: stated year {self.value}, the table gives {actual}"]


def lasting_from(table: pd.DataFrame, year_column: str, side: str, interval_columns) -> float:
    """The first year from which the interval lies ``side`` zero to the end (NaN: none)."""
    low_col, high_col = interval_columns
    order = np.argsort(table[year_column].to_numpy(), kind="stable")
    return float(first_distinguishable_year(*(table[c].to_numpy()[order]
                                              for c in (year_column, low_col, high_col)),
                                            side.split()[0], lasting=True))


@dataclass
class Narrative:
    """Markdown paragraphs built from results, with the claims they make. Displayed as Markdown in
    a notebook (``_repr_markdown_``)."""

    paragraphs: list[str] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)

    def add(self, text_and_claims) -> Narrative:
        """Append a paragraph: a string, or (text, claims) as the sentence functions return."""
        text, claims = (text_and_claims, []) if isinstance(text_and_claims, str) else text_and_claims
        self.paragraphs.append(text)
        self.claims.extend(claims)
        return self

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def _repr_markdown_(self) -> str:
        return self.text

    def disagreements(self) -> list[str]:
        """Claims that disagree with their tables, or whose number or verdict the text lacks."""
        problems = [problem for claim in self.claims for problem in claim.disagreements()]
        for claim in self.claims:
            if claim.kind == "effect":  # the value, then its interval and verdict together
                shown = [signed(claim.value),
                         f"{signed(claim.low)} to {signed(claim.high)}): {claim.conclusion}"]
            elif np.isfinite(claim.value):
                shown = [f"year {claim.value:g}** on, the 95% interval stays {claim.conclusion}"]
            else:
                shown = [f"stay {claim.conclusion} to the end"]
            problems += [f"{claim.what}: the text does not state '{part}'" for part in shown
                         if part not in self.text]
        return problems


def effect_claim(what: str, table: pd.DataFrame, row, columns=INTERVAL_COLUMNS) -> Claim:
    """The claim about ``table.loc[row]``: its value, 95% interval and verdict."""
    value, low, high = (float(table.loc[row, c]) for c in columns)
    return Claim(what, value, low, high, verdict(low, high), table, row, tuple(columns))


def effect_sentence(what: str, table: pd.DataFrame, row, unit: str = "months",
                    columns=INTERVAL_COLUMNS) -> tuple[str, list[Claim]]:
    """"<what>: +0.12 months (95% interval -0.05 to +0.29): not distinguishable from zero." """
    claim = effect_claim(what, table, row, columns)
    text = (f"{what}: **{signed(claim.value)} {unit}** (95% interval {signed(claim.low)} to "
            f"{signed(claim.high)}): {claim.conclusion}.")
    return text, [claim]


def lasting_sentence(what: str, table: pd.DataFrame, year_column: str, side: str = ABOVE,
                     columns=INTERVAL_COLUMNS) -> tuple[str, list[Claim]]:
    """The first year from which the interval stays ``side`` zero to the end, in words."""
    year = lasting_from(table, year_column, side, columns[1:])
    claim = Claim(what, year, np.nan, np.nan, side, table, None, tuple(columns), "lasting_from",
                  year_column)
    if np.isnan(year):
        text = f"{what}: at no year does the 95% interval stay {side} to the end of the run."
    else:
        text = f"{what}: from **year {year:g}** on, the 95% interval stays {side}."
    return text, [claim]
