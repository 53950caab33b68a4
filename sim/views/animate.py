"""An animation for slides: the map of schools and the difference from the counterfactual over time.

    python -m sim.animate outputs/pathfinder/2026-01-01_10-00-00            # writes animation.gif there
    python -m sim.animate RUN_DIR --baseline BASELINE_RUN_DIR --out talk.mp4 --fps 2

The counterfactual is today's policy on the same seed. By default it is the one ``python -m sim``
saved in ``RUN_DIR/counterfactual/``; a run without one (the baseline, or
``output.counterfactual=false``) has it re-run from the config in ``RUN_DIR/run.json`` (every lever
reset to today's policy, everything else unchanged), which takes about as long as the run itself; ``--baseline DIR`` uses a saved run instead (it must share the
seed and landscape, or the difference is meaningless). The map functions here are also used by
the dashboard (``sim/views/dashboard.py``).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import animation  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from sim.core.levers import LEVERS  # noqa: E402
from sim.core.partnerships import KIND_NAMES  # noqa: E402
from sim.views.plots import policy_periods  # noqa: E402

KIND_STYLE = {  # colour and width of a partnership link, by kind
    "informal": ("#9e9e9e", 0.7),
    "funded": ("#1b9e77", 1.8),
    "federation": ("#7b3294", 1.6),
    "trust": ("#d95f02", 1.2),
}
KIND_LABEL = {"informal": "informal cluster", "funded": "funded partnership",
              "federation": "federation", "trust": "multi-academy trust"}
OUTCOME_CMAP = "RdBu"  # red: below the national mean, blue: above


# -- the map (shared with the dashboard) ----------------------------------------------------------
def link_segments(groups: list[tuple[str, list[int]]], x: np.ndarray, y: np.ndarray) -> dict:
    """Line segments joining every pair of members of each partnership, by kind.

    ``groups``: (kind name, member school indices) per active partnership. Returns
    {kind name: array of shape (n, 2, 2)}.
    """
    segments: dict[str, list] = {name: [] for name in KIND_NAMES}
    for kind, members in groups:
        for a, b in combinations(members, 2):
            segments[kind].append(((x[a], y[a]), (x[b], y[b])))
    return {kind: np.array(segs, dtype=float).reshape(-1, 2, 2) for kind, segs in segments.items()}


def model_link_groups(model) -> list[tuple[str, list[int]]]:
    """(kind name, member indices) of every active partnership of a running ``PartnershipModel``."""
    pid, school = model.partnerships.links()
    order = np.argsort(pid, kind="stable")
    pid, school = pid[order], school[order]
    starts = np.flatnonzero(np.r_[True, pid[1:] != pid[:-1]]) if len(pid) else []
    kinds = model.partnerships.kind
    return [(KIND_NAMES[kinds[pid[i]]], school[i:j].tolist())
            for i, j in zip(starts, list(starts[1:]) + [len(pid)], strict=True)]


def draw_school_map(ax, x, y, outcome, pupils, groups, outcome_limit: float, title: str,
                    executive=None):
    """Schools coloured by outcome (months vs national mean), sized by roll, links by kind.

    Returns the scatter (for a colour bar). ``executive``: mask of schools led by an executive head
    (drawn with a black ring).
    """
    for kind, segs in link_segments(groups, x, y).items():
        colour, width = KIND_STYLE[kind]
        if len(segs):
            ax.add_collection(LineCollection(segs, colors=colour, linewidths=width, alpha=0.8,
                                             zorder=1))
    edge = np.where(executive, "black", "none") if executive is not None else "none"
    dots = ax.scatter(x, y, c=outcome, s=8 + np.asarray(pupils) / 25, cmap=OUTCOME_CMAP,
                      vmin=-outcome_limit, vmax=outcome_limit, edgecolors=edge, linewidths=0.8,
                      zorder=2)
    ax.set_aspect("equal")
    ax.set_xlabel("east (km)")
    ax.set_ylabel("north (km)")
    ax.set_title(title, fontsize=10)
    return dots


def map_legend_handles(with_executive: bool = True) -> list:
    """Legend entries for the links by kind (and the executive-head ring)."""
    handles = [Line2D([], [], color=KIND_STYLE[k][0], lw=max(KIND_STYLE[k][1], 1.2),
                      label=KIND_LABEL[k]) for k in KIND_NAMES]
    if with_executive:
        handles.append(Line2D([], [], ls="", marker="o", markerfacecolor="white",
                              markeredgecolor="black", label="led by an executive head"))
    return handles


def outcome_limit(outcome) -> float:
    """A symmetric colour range (months) covering most schools at the start, kept for the run."""
    return float(max(2.0, np.ceil(np.percentile(np.abs(outcome), 98))))


def padded_range(values, share: float = 0.03) -> tuple[float, float]:
    """The range of ``values`` with a small margin, so schools at the edge are not cut."""
    lo, hi = float(np.min(values)), float(np.max(values))
    margin = share * (hi - lo) or 1.0
    return lo - margin, hi + margin


# -- a saved run ----------------------------------------------------------------------------------
@dataclass
class RunFrames:
    """What the animation needs from a run directory."""

    name: str
    funding_years: float  # length of a funding award in this run
    schools: pd.DataFrame  # one row per school per whole year
    partnerships: pd.DataFrame
    difference: pd.DataFrame  # time_years, outcome_difference, gap_difference, policy_on


def counterfactual_timeseries(run_dir: Path) -> pd.DataFrame:
    """The counterfactual's time series: saved by ``python -m sim`` in ``RUN_DIR/counterfactual``,
    else re-run from the run's config with every lever at today's policy (same seed)."""
    from sim.config import validate
    from sim.running import counterfactual_of, simulate

    saved = run_dir / "counterfactual" / "timeseries.parquet"
    if saved.exists():
        return pd.read_parquet(saved)
    meta = json.loads((run_dir / "run.json").read_text())
    config = dict(meta["config"])
    config["output"] = {"progress": False, "plot": False, "summary": False}
    return simulate(counterfactual_of(validate(config))).timeseries


def difference_from_counterfactual(run_dir, baseline_dir=None) -> pd.DataFrame:
    """Scenario minus counterfactual, per step: mean outcome and disadvantage gap (months)."""
    run_dir = Path(run_dir)
    ts = pd.read_parquet(run_dir / "timeseries.parquet")
    if baseline_dir is None:
        base = counterfactual_timeseries(run_dir)
    else:
        base = pd.read_parquet(Path(baseline_dir) / "timeseries.parquet")
    base = base.set_index("step").reindex(ts.step)
    if base.mean_outcome.isna().any():
        raise ValueError("the counterfactual run does not cover every step of the run")
    active = ts[[f"{lever}_active" for lever in LEVERS]].any(axis=1)
    return pd.DataFrame({
        "time_years": ts.time_years.to_numpy(),
        "outcome_difference": ts.mean_outcome.to_numpy() - base.mean_outcome.to_numpy(),
        "gap_difference": ts.disadvantage_gap.to_numpy() - base.disadvantage_gap.to_numpy(),
        "policy_on": active.to_numpy(),
    })


def load_run(run_dir, baseline_dir=None) -> RunFrames:
    run_dir = Path(run_dir)
    meta = json.loads((run_dir / "run.json").read_text())
    return RunFrames(
        name=meta.get("scenario", run_dir.name),
        funding_years=float(meta["config"]["funding"]["duration_years"]),
        schools=pd.read_parquet(run_dir / "schools.parquet"),
        partnerships=pd.read_parquet(run_dir / "partnerships.parquet"),
        difference=difference_from_counterfactual(run_dir, baseline_dir),
    )


def kinds_at(partnerships: pd.DataFrame, year: float, funding_years: float) -> pd.Series:
    """Each partnership's kind at ``year``, rebuilt from the saved table.

    The table keeps a partnership's last kind, its funding and when funding ended: it is "funded"
    during its award (``funding_years`` long), "informal" if it was funded but the award is over
    (or not yet made) and it ended informal or funded; otherwise its last kind. When an informal
    partnership formalised is not saved, so a federation is drawn as one from its start.
    """
    p = partnerships
    if "funded_until" not in p:  # runs saved before funding dates were kept
        return p.kind
    was_funded = p.funding_gbp > 0
    during = was_funded & (p.funded_until - funding_years <= year) & (year < p.funded_until)
    kind = p.kind.where(~(was_funded & (p.kind == "funded")), "informal")
    return kind.where(~during, "funded")


def run_link_groups(partnerships: pd.DataFrame, year: float, index_of: dict,
                    funding_years: float) -> list:
    """(kind, member indices) of the partnerships active at ``year`` in a saved run."""
    p = partnerships
    on = (p.formed_at <= year) & (p.ended_at.isna() | (p.ended_at > year))
    kinds = kinds_at(p[on], year, funding_years)
    return [(kind, [index_of[m] for m in members if m in index_of])
            for kind, members in zip(kinds, p.members[on], strict=True)]


# -- the animation --------------------------------------------------------------------------------
def animate(run_dir, out=None, baseline_dir=None, fps: float = 2.0) -> Path:
    """Write a GIF (or MP4, if ffmpeg is installed) with one frame per simulated year; return its path."""
    run_dir = Path(run_dir)
    out = Path(out) if out is not None else run_dir / "animation.gif"
    writer = writer_for(out, fps)
    run = load_run(run_dir, baseline_dir)
    years = np.sort(run.schools.year.unique())
    diff = run.difference

    fig = Figure(figsize=(12, 5.6), layout="constrained")
    map_ax, diff_ax = fig.subplots(1, 2, width_ratios=[1.05, 1])
    first = run.schools[run.schools.year == years[0]]
    limit = outcome_limit(first.outcome)
    x_range = padded_range(run.schools.x_km)
    y_range = padded_range(run.schools.y_km)
    dots = draw_school_map(map_ax, first.x_km.to_numpy(), first.y_km.to_numpy(),
                           first.outcome.to_numpy(), first.pupils.to_numpy(), [], limit, "")
    fig.colorbar(dots, ax=map_ax, shrink=0.8,
                 label="pupil outcome (months vs national mean at start)")

    values = diff[["outcome_difference", "gap_difference"]].to_numpy()
    pad = max(0.05, 0.1 * np.abs(values).max())
    t_end = diff.time_years.max()

    def draw(frame: int) -> None:
        year = years[frame]
        now = run.schools[run.schools.year == year]
        index_of = {sid: i for i, sid in enumerate(now.school_id.to_numpy())}
        for artist in list(map_ax.collections) + list(diff_ax.lines) + list(diff_ax.collections):
            artist.remove()
        for patch in list(diff_ax.patches):
            patch.remove()
        map_ax.set_prop_cycle(None)
        draw_school_map(map_ax, now.x_km.to_numpy(), now.y_km.to_numpy(), now.outcome.to_numpy(),
                        now.pupils.to_numpy(), run_link_groups(run.partnerships, year, index_of,
                                                        run.funding_years),
                        limit, f"Schools and partnerships, year {year:g}",
                        executive=(now.head_status == "executive").to_numpy())
        map_ax.set_xlim(*x_range)
        map_ax.set_ylim(*y_range)
        map_ax.legend(handles=map_legend_handles(), loc="upper center", fontsize=8, ncol=2,
                      bbox_to_anchor=(0.5, -0.12))

        shown = diff[diff.time_years <= year + 1e-9]
        shade_policy_years(diff_ax, diff)
        diff_ax.axhline(0, color="black", lw=0.8)
        diff_ax.plot(shown.time_years, shown.outcome_difference, color="tab:blue", lw=2,
                     label="mean pupil outcome")
        diff_ax.plot(shown.time_years, shown.gap_difference, color="tab:red", lw=2,
                     label="disadvantage gap (below 0: narrower)")
        diff_ax.set_xlim(0, t_end)
        diff_ax.set_ylim(values.min() - pad, values.max() + pad)
        diff_ax.set_xlabel("time (years)")
        diff_ax.set_ylabel("scenario − counterfactual (months)")
        diff_ax.set_title("Difference from today's policy on the same random draws", fontsize=10)
        diff_ax.grid(alpha=0.3)
        diff_ax.legend(loc="upper left", fontsize=8)
        fig.suptitle(f"Scenario: {run.name} — year {year:g} of {t_end:g}")

    anim = animation.FuncAnimation(fig, draw, frames=len(years), interval=1000 / fps)
    out.parent.mkdir(parents=True, exist_ok=True)
    anim.save(out, writer=writer, dpi=100)
    return out


def writer_for(out: Path, fps: float):
    """The matplotlib writer for the file's format (checked before any work is done)."""
    if out.suffix.lower() == ".mp4":
        if not animation.writers.is_available("ffmpeg"):
            raise RuntimeError("writing MP4 needs ffmpeg on the PATH; write a .gif instead")
        return animation.FFMpegWriter(fps=fps)
    if out.suffix.lower() == ".gif":
        return animation.PillowWriter(fps=fps)
    raise ValueError(f"unknown animation format {out.suffix!r}: use .gif or .mp4")


def shade_policy_years(ax, diff: pd.DataFrame) -> None:
    """Shade the years when the scenario's policy differs from today's."""
    for k, (start, end, _) in enumerate(policy_periods(diff.time_years, diff.policy_on)):
        ax.axvspan(start, end, color="tab:orange", alpha=0.12,
                   label="policy in force" if k == 0 else None)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.animate", description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path, help="a directory written by `python -m sim`")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a saved counterfactual run on the same seed (default: re-run it)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output file, .gif or .mp4 (default: RUN_DIR/animation.gif)")
    parser.add_argument("--fps", type=float, default=2.0, help="frames (years) per second")
    args = parser.parse_args(argv)
    if not (args.run_dir / "run.json").exists():
        print(f"error: {args.run_dir} is not a run directory (no run.json)", file=sys.stderr)
        return 2
    if args.baseline is None and not (args.run_dir / "counterfactual").is_dir():
        print("Re-running the counterfactual (today's policy, same seed)...", file=sys.stderr)
    try:
        out = animate(args.run_dir, args.out, args.baseline, args.fps)
    except (RuntimeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Animation written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
