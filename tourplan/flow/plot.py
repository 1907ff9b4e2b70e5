"""Charts of a simulation (matplotlib, drawn off-screen)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from tourplan.flow.result import FlowResult

__all__ = ["plot_occupancy"]


def plot_occupancy(result: FlowResult, *, k: int = 6) -> Figure:
    """Occupancy against C0 for the ``k`` busiest sites (matplotlib, Agg).

    Returns
    -------
    matplotlib.figure.Figure
        The caller saves it (``fig.savefig(path)``).
    """
    from matplotlib.figure import Figure

    names = result.busiest(k)
    fig = Figure(figsize=(10, 2.2 * max(len(names), 1)), layout="constrained")
    axes = fig.subplots(max(len(names), 1), 1, sharex=True, squeeze=False)[:, 0]
    x = result.slot_starts / 60.0
    for ax, sid in zip(axes, names, strict=False):
        i = result.index(sid)
        ax.step(x, result.peak[i], where="post", label="peak inside", color="tab:red")
        ax.step(x, result.occupancy[i], where="post", label="mean inside", color="tab:blue")
        ax.step(x, result.queue[i], where="post", label="queue", color="tab:orange")
        c0 = int(result.capacity_instant[i])
        if c0 > 0:
            for share, style in ((1.0, "-"), (0.9, "--"), (0.8, ":")):
                ax.axhline(c0 * share, color="black", linestyle=style, linewidth=0.8)
        ax.set_title(f"{sid} (C0 {c0:,})", fontsize=9)
        ax.set_ylabel("visitors")
    axes[0].legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("hour of day")
    fig.suptitle(f"{result.scenario.date.isoformat()} ({result.scenario.kind}), {result.visitors:,} visitors")
    return fig
