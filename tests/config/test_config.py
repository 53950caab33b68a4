"""Configuration: every mistake stops the run before it starts, naming the key and what is allowed."""

from __future__ import annotations

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import open_dict

from sim.config import compose, validate
from sim.config.generate import expected_files
from sim.core.checks import ConfigError

SCENARIOS = ["baseline", "pathfinder", "rural_clusters", "executive_heads",
             "partnership_accountability", "cluster_lump_sums", "high_stakes"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_composes_and_validates(scenario):
    settings = validate(compose([f"scenario={scenario}"]))
    assert settings.config.name == scenario


@pytest.mark.parametrize(("override", "key", "allowed"), [
    ("funding.amount_primary_gbp=-30000", "funding.amount_primary_gbp", "> 0"),
    ("funding.budget_gbp_per_year_per_1000_schools=-1", "funding.budget_gbp_per_year_per_1000_schools", ">= 0"),
    ("funding.share_cover=0.9", "funding.share_*", "sum to 1"),
    ("funding.recipient=school", "funding.recipient", "'pair' or 'cluster'"),
    ("accountability.stakes=1.5", "accountability.stakes", "between 0 and 1"),
    ("executive_headship.triggers=[holiday]", "executive_headship.triggers", "vacancy"),
    ("distance.max_partner_km=0", "distance.max_partner_km", "> 0"),
    ("funding.stop_year=0", "funding.stop_year", "after start_year"),
    ("landscape.n_schools=0", "landscape.n_schools", "at least 2"),
    ("years=0", "years", "(0, 200]"),
    ("steps_per_year=0", "steps_per_year", "1 to 365"),
    ("output.timeseries=monthly", "output.timeseries", "'step' or 'year'"),
    ("rules.running.learn_rate_per_year=-1", "rules.running.learn_rate_per_year", ">= 0"),
    ("rules.dissolution.rel_hazard_funded=2", "rules.dissolution.rel_hazard_funded", "between 0 and 1"),
    ("rules.formation.max_cluster_size=1", "rules.formation.max_cluster_size", ">= 2"),
    ("rules.formation.max_cluster_size=2.5", "rules.formation.max_cluster_size", "an integer"),
    ("rules.running.learn_rate_per_year=fast", "rules.running.learn_rate_per_year", "a number"),
    ("+rules.formation.speed=3", "rules.formation.speed", "a parameter of Formation"),
    ("rules.formation._target_=nowhere.Rule", "rules.formation._target_", "cannot import"),
    ("rules.formation._target_=sim.core.state.SchoolState", "rules.formation._target_", "not in 'sim.core.state'"),
    ("rules.formation._target_=os.system", "rules.formation._target_", "not in 'os'"),
    ("rules.formation._target_=sim.landscape.SyntheticRegion", "rules.formation._target_", "subclass of sim.core.rule.Rule"),
    ("landscape._target_=sim.rules.running.Running", "landscape._target_", "a subclass of sim.landscape"),
])
def test_a_bad_value_names_the_key_and_what_is_allowed(override, key, allowed):
    with pytest.raises(ConfigError) as error:
        validate(compose([override]))
    message = str(error.value)
    assert f"'{key}'" in message
    assert allowed in message


def test_all_rules_switched_off_is_refused():
    cfg = compose([])
    with open_dict(cfg):
        for name in list(cfg.rules):
            cfg.rules[name] = None
    with pytest.raises(ConfigError, match="at least one rule"):
        validate(cfg)


@pytest.mark.parametrize("override", ["colour=blue", "funding.amount=3", "seed=abc",
                                      "scenario=imaginary", "landscape=atlantis"])
def test_unknown_keys_and_wrong_types_fail_at_composition(override):
    with pytest.raises(ConfigCompositionException):
        compose([override])


def test_a_researcher_can_add_a_rule_through_config():
    cfg = compose([])
    with open_dict(cfg):
        cfg.rules.extra_staffing = {"_target_": "sim.rules.staffing.Staffing",
                                    "head_turnover_per_year": 0.2}
    settings = validate(cfg)
    names = [name for name, _, _ in settings.rules]
    assert "extra_staffing" in names
    params = dict((name, p) for name, _, p in settings.rules)["extra_staffing"]
    assert params.head_turnover_per_year == 0.2 and params.vacancy_fill_per_year == 2.0


def test_generated_config_files_match_the_parameter_defaults():
    """conf/rules/*/default.yaml and conf/landscape/*.yaml are generated from the Params
    dataclasses; this fails when a default changes in code but not in config."""
    for path, text in expected_files().items():
        assert path.exists(), f"{path} missing: run python -m sim.config.generate"
        assert path.read_text() == text, f"{path} is stale: run python -m sim.config.generate"


def test_generation_writes_the_calibrated_defaults_into_the_odd_tables():
    """A calibration changes defaults; the ODD's parameter tables follow without a hand edit."""
    from sim.config.generate import ODD, with_calibrated_defaults

    text = ODD.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| `worth_exchange` |"))
    stale = row.replace(row.split("|")[2], " 99.9 ", 1)
    assert with_calibrated_defaults(text.replace(row, stale)) == text
    assert with_calibrated_defaults(text) == text


@pytest.mark.parametrize(("group", "label", "allowed"), [
    ("funding", "programme", "FUNDING_PROGRAMMES"),
    ("accountability", "regime", "ACCOUNTABILITY_REGIMES"),
    ("executive_headship", "programme", "EXECUTIVE_PROGRAMMES"),
])
def test_every_option_file_uses_an_allowed_label(group, label, allowed):
    import yaml

    from sim.core import levers
    from sim.core.paths import CONF_DIR

    labels = {yaml.safe_load(path.read_text())[label] for path in (CONF_DIR / group).glob("*.yaml")}
    assert labels == set(getattr(levers, allowed))
