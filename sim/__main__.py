"""``python -m sim``: run one scenario (a Hydra app; see conf/config.yaml)."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
from hydra._internal.utils import get_args_parser
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.config import register_configs, validate
from sim.config.command_line import check_command_line
from sim.core.checks import ConfigError
from sim.core.guards import NonFiniteError

register_configs()


def refuse(error: Exception, code: int) -> None:
    """A user's mistake or a run gone wrong: one line, no traceback."""
    print(f"{'Configuration error' if code == 2 else 'Run stopped'}: {error}", file=sys.stderr)
    raise SystemExit(code) from None


def format_summary(table) -> str:
    """The summary table for people: months to two decimals, counts and money as whole numbers
    with thousands separators, never "-0.00"."""
    def cell(value, months: bool) -> str:
        if value != value:  # NaN: nothing to show
            return ""
        text = f"{value:,.2f}" if months else f"{round(value):,}"
        return text.removeprefix("-") if text.strip("-0.,") == "" else text  # "-0.00" -> "0.00"

    formatted = table.copy().astype(object)
    for row, measure in enumerate(table["measure"]):
        months = "months" in measure
        for column in table.columns[1:]:
            formatted.iloc[row, table.columns.get_loc(column)] = cell(table[column].iloc[row],
                                                                       months)
    return formatted.to_string(index=False)


def summary_with_counterfactual(result, counterfactual=None):
    """``summary_table`` of the run; with a counterfactual, its end value (or total) and the
    difference policy minus counterfactual."""
    from sim.running import summary_table

    table = summary_table(result)
    if counterfactual is None:
        return table
    other = summary_table(counterfactual)
    at_end = table["end"].where(table["end"].notna(), table["change"])
    other_at_end = other["end"].where(other["end"].notna(), other["change"])
    return table.assign(**{"counterfactual": other_at_end,
                           "policy − counterfactual": at_end - other_at_end})


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def run(cfg: DictConfig) -> None:
    from sim.running import counterfactual_of, is_policy_run, run_paired
    from sim.views.plots import save_summary_figure

    for noisy in ("MESA", "matplotlib"):  # Mesa logs every step at INFO under Hydra's logging
        logging.getLogger(noisy).setLevel(logging.WARNING)

    try:
        settings = validate(cfg)  # checked already by main(); kept for --config-dir and the like
    except ConfigError as error:
        refuse(error, 2)
    output = settings.config.output
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    # A policy run is compared with today's policy on the same draws (one spin-up, forked twice).
    runs = [settings]
    if output.counterfactual and is_policy_run(settings):
        runs.append(counterfactual_of(settings))
    start = time.perf_counter()
    try:
        result, *others = run_paired(runs, progress=output.progress)
    except NonFiniteError as error:
        refuse(error, 1)
    except MemoryError:
        refuse(MemoryError("out of memory: use fewer schools or fewer years"), 1)
    counterfactual = others[0] if others else None
    try:
        result.save(out_dir)
        if counterfactual is not None:
            counterfactual.save(out_dir / "counterfactual")
        if output.plot:
            save_summary_figure(result.timeseries, out_dir / "summary.png",
                                title=f"Scenario: {settings.config.name}",
                                counterfactual=None if counterfactual is None
                                else counterfactual.timeseries)
    except OSError as error:  # a full or read-only disk, a path too long: the machine, not the model
        refuse(OSError(f"cannot write the results to {out_dir}: {error.strerror or error}"), 1)
    if output.summary:
        runs_s = time.perf_counter() - start  # the spin-up and every run, saving included
        print(f"\nScenario '{settings.config.name}', seed {settings.config.seed}, "
              f"{settings.config.years:g} years, {len(result.schools.school_id.unique())} schools "
              f"({runs_s:.1f} s)")
        if counterfactual is not None:
            print("Counterfactual: today's policy on the same seed and random draws "
                  f"(saved in {out_dir / 'counterfactual'})")
        print(format_summary(summary_with_counterfactual(result, counterfactual)))
        print(f"\nResults written to {out_dir}")


def main() -> None:
    """Check the whole command line (every run of a --multirun) before Hydra creates any folder."""
    args = get_args_parser().parse_args(sys.argv[1:])
    asks_for_information = (args.help or args.hydra_help or args.info or args.shell_completion
                            or args.experimental_rerun)
    uses_another_config = args.config_path or args.config_name or args.config_dir
    if not (asks_for_information or uses_another_config):
        try:
            check_command_line(args.overrides, multirun=args.multirun)
        except ConfigError as error:
            refuse(error, 2)
    run()


if __name__ == "__main__":
    main()
