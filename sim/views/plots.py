"""Figures from results tables (never from the model itself)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files, not windows: runs on machines with no screen
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

LEVER_COLUMNS = {"funding_active": "funding", "distance_active": "distance",
                 "accountability_active": "accountability",
                 "executive_headship_active": "executive headship"}


def policy_periods(time_years, in_force) -> list[tuple[float, float, int]]:
    """(start, end, last row) of each period a policy was in force. Row i says whether the step
    ending at ``time_years[i]`` ran under it, so a period starts one row before its first flagged
    row (row 0, time 0, stands for itself)."""
    t = np.asarray(time_years)
    edges = np.flatnonzero(np.diff(np.r_[0, np.asarray(in_force, dtype=int), 0]))
    return [(float(t[max(first - 1, 0)]), float(t[last]), int(last))
            for first, last in zip(edges[::2], edges[1::2] - 1, strict=True)]


def shade_policy(ax, ts: pd.DataFrame) -> None:
    """Shade the periods when any policy lever differs from today's policy."""
    for start, end, last in policy_periods(ts.time_years, ts[list(LEVER_COLUMNS)].any(axis=1)):
        names = [name for col, name in LEVER_COLUMNS.items() if ts[col].iloc[last]]
        ax.axvspan(start, end, color="tab:orange", alpha=0.12,
                   label="policy in force: " + ", ".join(names))


def summary_figure(ts: pd.DataFrame, title: str = "") -> plt.Figure:
    """Outcomes and gap over time, partnerships by kind over time, policy periods shaded."""
    fig, axes = plt.subplots(3, 1, figsize=(9, 10), sharex=True, constrained_layout=True)
    ax = axes[0]
    ax.plot(ts.time_years, ts.mean_outcome, color="tab:blue", label="mean pupil outcome")
    ax.set_ylabel("months of progress\n(vs national mean at start)")
    ax.set_title("Pupil outcomes")
    ax = axes[1]
    ax.plot(ts.time_years, ts.disadvantage_gap, color="tab:red", label="disadvantage gap")
    ax.set_ylabel("gap (months)")
    ax.set_title("Gap between disadvantaged pupils and others")
    ax = axes[2]
    for column, label in (("n_informal", "informal"), ("n_funded", "funded"),
                          ("n_federation", "federation"), ("n_trust", "trust")):
        ax.plot(ts.time_years, ts[column], label=label)
    ax.plot(ts.time_years, ts.n_executive_heads, ls="--", color="grey", label="executive heads")
    ax.set_ylabel("number")
    ax.set_title("Active partnerships by kind")
    ax.set_xlabel("time (years)")
    for ax in axes:
        shade_policy(ax, ts)
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def save_summary_figure(ts: pd.DataFrame, path, title: str = "") -> None:
    """Draw ``summary_figure`` into ``path`` (PNG, written atomically)."""
    from sim.storage.files import write_atomic

    fig = summary_figure(ts, title=title)
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    plt.close(fig)
