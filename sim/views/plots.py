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


# Axis floors, so that noise is not magnified into something that looks like an effect. The
# Education Endowment Foundation reports effects in whole months of progress; a difference axis of
# at least +/- half a month keeps anything smaller than the smallest effect it reports looking small.
DIFFERENCE_FLOOR_MONTHS = 0.5
OUTCOME_FLOOR_SPAN_MONTHS = 2.0  # an outcome axis spans at least this many months
COUNTERFACTUAL_LABEL = "counterfactual: today's policy, same random draws"


def span_at_least(ax, values, span: float) -> None:
    """Y limits covering ``values`` and at least ``span`` wide, centred on the data."""
    values = np.asarray(values, dtype=float)
    lo, hi = np.nanmin(values), np.nanmax(values)
    margin = max(0.05 * (hi - lo), (span - (hi - lo)) / 2)
    ax.set_ylim(lo - margin, hi + margin)


def symmetric_at_least(ax, values, floor: float) -> None:
    """Y limits symmetric about zero, covering ``values`` and at least +/- ``floor``."""
    reach = max(floor, 1.1 * float(np.nanmax(np.abs(np.asarray(values, dtype=float)))))
    ax.set_ylim(-reach, reach)


def summary_figure(ts: pd.DataFrame, title: str = "",
                   counterfactual: pd.DataFrame | None = None) -> plt.Figure:
    """Outcomes and gap over time, partnerships by kind over time, policy periods shaded.

    With ``counterfactual`` (the time series of today's policy on the same draws, step for step)
    each panel also draws it, dashed, and a second panel shows policy minus counterfactual.
    """
    cf = counterfactual
    if cf is not None and (len(cf) != len(ts) or not np.allclose(cf.time_years, ts.time_years)):
        raise ValueError("the counterfactual's time steps differ from the run's")
    n_panels = 3 if cf is None else 4
    fig, axes = plt.subplots(n_panels, 1, figsize=(9, 3.3 * n_panels), sharex=True,
                             constrained_layout=True)
    panels = iter(axes)
    ax = next(panels)
    label = "mean pupil outcome" if cf is None else "mean pupil outcome: policy"
    ax.plot(ts.time_years, ts.mean_outcome, color="tab:blue", label=label)
    shown = [ts.mean_outcome]
    if cf is not None:
        ax.plot(cf.time_years, cf.mean_outcome, color="grey", ls="--", label=COUNTERFACTUAL_LABEL)
        shown.append(cf.mean_outcome)
    span_at_least(ax, np.concatenate(shown), OUTCOME_FLOOR_SPAN_MONTHS)
    ax.set_ylabel("months of progress\n(vs national mean at start)")
    ax.set_title("Pupil outcomes")
    if cf is not None:
        ax = next(panels)
        outcome_difference = ts.mean_outcome.to_numpy() - cf.mean_outcome.to_numpy()
        gap_difference = ts.disadvantage_gap.to_numpy() - cf.disadvantage_gap.to_numpy()
        ax.axhline(0, color="black", lw=0.8)
        ax.plot(ts.time_years, outcome_difference, color="tab:blue", lw=2,
                label="mean pupil outcome: policy − counterfactual")
        ax.plot(ts.time_years, gap_difference, color="tab:red", lw=2,
                label="disadvantage gap: policy − counterfactual (below 0: narrower)")
        symmetric_at_least(ax, np.r_[outcome_difference, gap_difference], DIFFERENCE_FLOOR_MONTHS)
        ax.set_ylabel("difference (months)")
        ax.set_title("Policy − counterfactual (one seed: includes chance)")
    ax = next(panels)
    label = "disadvantage gap" if cf is None else "disadvantage gap: policy"
    ax.plot(ts.time_years, ts.disadvantage_gap, color="tab:red", label=label)
    shown = [ts.disadvantage_gap]
    if cf is not None:
        ax.plot(cf.time_years, cf.disadvantage_gap, color="grey", ls="--",
                label=COUNTERFACTUAL_LABEL)
        shown.append(cf.disadvantage_gap)
    span_at_least(ax, np.concatenate(shown), OUTCOME_FLOOR_SPAN_MONTHS)
    ax.set_ylabel("gap (months)")
    ax.set_title("Gap between disadvantaged pupils and others")
    ax = next(panels)
    for column, label, colour in (("n_informal", "informal", "tab:blue"),
                                  ("n_funded", "funded", "tab:orange"),
                                  ("n_federation", "federation", "tab:green"),
                                  ("n_trust", "multi-academy trust", "tab:purple")):
        ax.plot(ts.time_years, ts[column], color=colour, label=label)
        if cf is not None:
            ax.plot(cf.time_years, cf[column], color=colour, ls=":", lw=1)
    ax.plot(ts.time_years, ts.n_executive_heads, ls="--", color="grey", label="executive heads")
    if cf is not None:
        ax.plot([], [], color="black", ls=":", lw=1, label="dotted: " + COUNTERFACTUAL_LABEL)
    counts = ts[["n_informal", "n_funded", "n_federation", "n_trust",
                 "n_executive_heads"]].to_numpy()
    ax.set_ylim(0, 1.5 * max(1, counts.max()))  # room for the legend above the lines
    ax.set_ylabel("number")
    ax.set_title("Active partnerships by kind")
    ax.set_xlabel("time (years)")
    for ax in axes:
        shade_policy(ax, ts)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left" if ax is axes[-1] else "best", fontsize=8,
                  ncol=2 if ax is axes[-1] else 1)
    if title:
        fig.suptitle(title)
    return fig


def save_summary_figure(ts: pd.DataFrame, path, title: str = "",
                        counterfactual: pd.DataFrame | None = None) -> None:
    """Draw ``summary_figure`` into ``path`` (PNG, written atomically)."""
    from sim.storage.files import write_atomic

    fig = summary_figure(ts, title=title, counterfactual=counterfactual)
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    plt.close(fig)
