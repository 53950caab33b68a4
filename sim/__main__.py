"""``python -m sim``: run one scenario (a Hydra app; see conf/config.yaml)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sim.config import register_configs, validate
from sim.core.checks import ConfigError

register_configs()


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> None:
    from sim.running import simulate, summary_table
    from sim.views.plots import save_summary_figure

    for noisy in ("MESA", "matplotlib"):  # Mesa logs every step at INFO under Hydra's logging
        logging.getLogger(noisy).setLevel(logging.WARNING)

    try:
        settings = validate(cfg)
    except ConfigError as error:
        # A user's mistake: one clear line, no traceback, before any work starts.
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    out_dir = HydraConfig.get().runtime.output_dir
    result = simulate(settings, progress=settings.config.output.progress)
    result.save(out_dir)
    if settings.config.output.plot:
        save_summary_figure(result.timeseries, Path(out_dir) / "summary.png",
                            title=f"Scenario: {settings.config.name}")
    if settings.config.output.summary:
        print(f"\nScenario '{settings.config.name}', seed {settings.config.seed}, "
              f"{settings.config.years:g} years, {len(result.schools.school_id.unique())} schools "
              f"({result.meta['wall_time_s']:.1f} s)")
        print(summary_table(result).to_string(index=False, na_rep="",
                                              float_format=lambda x: f"{x:,.2f}"))
        print(f"\nResults written to {out_dir}")


if __name__ == "__main__":
    main()
