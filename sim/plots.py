"""Figures from results tables (never from the model itself)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files, not windows: runs on machines with no screen
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

LEVER_COLUMNS = {"funding_active": "funding", "distance_active": "distance",
                 "accountability_active": "accountability",
                 "executive_headship_active": "executive headship"}


def shade_policy(ax, ts: pd.DataFrame) -> None:
    """Shade the years when any policy lever differs from today's policy."""
    active = ts[list(LEVER_COLUMNS)].any(axis=1).to_numpy()
    t = ts.time_years.to_numpy()
    start = None
    for i, on in enumerate(active):
        if on and start is None:
            start = t[i]
        if start is not None and (not on or i == len(active) - 1):
            names = [name for col, name in LEVER_COLUMNS.items() if ts[col].iloc[max(i - 1, 0)]]
            ax.axvspan(start, t[i], color="tab:orange", alpha=0.12,
                       label="policy in force: " + ", ".join(names))
            start = None


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
                          ("n_federation", "federation / trust")):
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
