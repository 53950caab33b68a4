"""The built-in rules: one module per process of the model, each a ``Rule`` called once per step
at its phase (the interface is ``sim.core.rule``; it is re-exported here for rule authors:
``from sim.rules import Rule``). Configs pick them by ``_target_`` (``conf/rules/<name>/``); the
model never imports a particular rule. Where sim.experiments.calibration fitted a parameter, the
fitted value (conf/calibration/fitted.yaml, generated into conf/rules/<name>/default.yaml) is the
default runs use, and the Params default is the assumption it replaced."""

from sim.core.rule import (
    END_PARTNERSHIPS_WRITES,
    FORM_PARTNERSHIP_WRITES,
    FUND_WRITES,
    LEAVE_PARTNERSHIP_WRITES,
    PHASES,
    RELEASE_EXECUTIVE_WRITES,
    Rule,
    occurs,
    ou_noise,
    p_event,
    relax,
)

__all__ = ["END_PARTNERSHIPS_WRITES", "FORM_PARTNERSHIP_WRITES", "FUND_WRITES",
           "LEAVE_PARTNERSHIP_WRITES", "PHASES", "RELEASE_EXECUTIVE_WRITES", "Rule", "occurs",
           "ou_noise", "p_event", "relax"]
