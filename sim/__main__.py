"""``python -m sim``: run one scenario (a Hydra app; see conf/config.yaml)."""

from __future__ import annotations

import logging
import sys
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


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def run(cfg: DictConfig) -> None:
    from sim.running import simulate, summary_table
    from sim.views.plots import save_summary_figure

    for noisy in ("MESA", "matplotlib"):  # Mesa logs every step at INFO under Hydra's logging
        logging.getLogger(noisy).setLevel(logging.WARNING)

    try:
        settings = validate(cfg)  # checked already by main(); kept for --config-dir and the like
    except ConfigError as error:
        refuse(error, 2)
    out_dir = HydraConfig.get().runtime.output_dir
    try:
        result = simulate(settings, progress=settings.config.output.progress)
    except NonFiniteError as error:
        refuse(error, 1)
    except MemoryError:
        refuse(MemoryError("out of memory: use fewer schools or fewer years"), 1)
    try:
        result.save(out_dir)
        if settings.config.output.plot:
            save_summary_figure(result.timeseries, Path(out_dir) / "summary.png",
                                title=f"Scenario: {settings.config.name}")
    except OSError as error:  # a full or read-only disk, a path too long: the machine, not the model
        refuse(OSError(f"cannot write the results to {out_dir}: {error.strerror or error}"), 1)
    if settings.config.output.summary:
        print(f"\nScenario '{settings.config.name}', seed {settings.config.seed}, "
              f"{settings.config.years:g} years, {len(result.schools.school_id.unique())} schools "
              f"({result.meta['wall_time_s']:.1f} s)")
        print(summary_table(result).to_string(index=False, na_rep="",
                                              float_format=lambda x: f"{x:,.2f}"))
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
