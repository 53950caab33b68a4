"""Generated narratives (sim/analysis/narrative.py): the text states what the table says, and a
claim that no longer agrees with its table is caught."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.narrative import (
    ABOVE,
    BELOW,
    UNCLEAR,
    Narrative,
    effect_sentence,
    lasting_sentence,
    signed,
    verdict,
)


def _effects() -> pd.DataFrame:
    """Year 0..5: no effect, a dip clearly below zero at year 2, clearly above zero from year 4."""
    return pd.DataFrame({"time_years": np.arange(6.0),
                         "difference": [0.0, -0.05, -0.2, 0.05, 0.3, 0.4],
                         "low": [0.0, -0.12, -0.3, -0.05, 0.1, 0.2],
                         "high": [0.0, 0.02, -0.1, 0.15, 0.5, 0.6]}).set_index("time_years",
                                                                                drop=False)


def test_verdicts_and_signs():
    assert verdict(0.1, 0.3) == ABOVE and verdict(-0.3, -0.1) == BELOW
    assert verdict(-0.1, 0.3) == UNCLEAR and verdict(0.0, 0.0) == UNCLEAR
    assert signed(0.123) == "+0.12" and signed(-0.004) == "0.00" and signed(-0.25) == "-0.25"


def test_the_sentence_states_the_rows_value_interval_and_verdict():
    effects = _effects()
    story = Narrative().add(effect_sentence("Effect at year 2", effects, 2.0))
    story.add(effect_sentence("Effect at year 5", effects, 5.0))
    story.add(lasting_sentence("Benefit", effects, "time_years"))
    assert "Effect at year 2: **-0.20 months** (95% interval -0.30 to -0.10): below zero." in story.text
    assert "(95% interval +0.20 to +0.60): above zero." in story.text
    assert "from **year 4** on" in story.text
    assert [c.conclusion for c in story.claims] == [BELOW, ABOVE, ABOVE]
    assert story.disagreements() == []
    assert story._repr_markdown_() == story.text


def test_a_stale_claim_is_caught():
    effects = _effects()
    story = Narrative().add(effect_sentence("Effect at year 5", effects, 5.0))
    story.add(lasting_sentence("Benefit", effects, "time_years"))
    effects.loc[5.0, ["difference", "low", "high"]] = [-0.1, -0.3, 0.1]  # the run changed
    problems = story.disagreements()
    assert any("table says" in p for p in problems)
    assert any("the interval is not distinguishable" in p for p in problems)
    assert any("the table gives nan" in p for p in problems)  # no lasting benefit any more


def test_text_that_contradicts_its_claim_is_caught():
    effects = _effects()
    story = Narrative().add(effect_sentence("Effect at year 5", effects, 5.0))
    story.paragraphs[0] = story.paragraphs[0].replace("above zero", "below zero")  # hand-edited
    assert any("does not state" in p for p in story.disagreements())


def test_no_lasting_benefit_is_said_so():
    effects = _effects()
    text, claims = lasting_sentence("Harm", effects, "time_years", side=BELOW)
    assert "at no year" in text and np.isnan(claims[0].value)
    assert Narrative().add((text, claims)).disagreements() == []
