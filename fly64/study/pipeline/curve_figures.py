"""The comparison's curve figures, one panel per dose (rows) and view (columns): FRC against
spatial frequency (cycles/pixel) with the ½-bit threshold, and each refinement's phase
correlation against seconds beside its flat-start solver's (matplotlib figures on the Agg
backend; :mod:`fly64.study.pipeline.figures` saves them).
"""

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from fly64.study.pipeline.metric_figures import legend_entries  # noqa: E402
from fly64.study.records.cube import is_refinement  # noqa: E402


def _dose_view_axes(doses: list, views: list, panel: tuple[float, float]):
    """A figure with one panel per dose (rows) and view (columns), shared axes; ``panel`` is
    each panel's (width, height) in inches."""
    return plt.subplots(
        len(doses),
        len(views),
        figsize=(panel[0] * len(views), panel[1] * len(doses)),
        squeeze=False,
        sharex=True,
        sharey=True,
    )


def warm_start(curves: pd.DataFrame, methods: list[str]):
    """Phase correlation against seconds (log) of each refinement's snapshots (solid, from its
    PINN's inference time on) and of its flat-start solver's (dashed), one panel per dose
    (rows) and view (columns), one line per cell (a colour per method, as in ``methods``).

    curves : rows of :func:`fly64.study.pipeline.warm_start.warm_start_curves`.
    """
    doses, views = sorted(curves["dose"].unique()), list(dict.fromkeys(curves["view"]))
    fig, axes = _dose_view_axes(doses, views, (4.2, 3.2))
    for (dose, view, method, _seed), rows in curves.groupby(
        ["dose", "view", "method", "seed"], sort=False
    ):
        refined = is_refinement(method)
        axes[doses.index(dose), views.index(view)].plot(
            rows["seconds"],
            rows["phase_correlation"],
            "-" if refined else "--",
            marker="o" if refined else None,
            markevery=[0],  # a refinement's start: the PINN's own estimate
            color=f"C{methods.index(method)}",
            label=method if refined else f"{method} (flat start)",
        )
    for ax, (dose, view) in zip(axes.flat, itertools.product(doses, views), strict=True):
        ax.set_xscale("log")
        ax.set_title(f"dose {dose:g}, {view}")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("seconds (refinement: from the PINN's inference on)")
    for ax in axes[:, 0]:
        ax.set_ylabel("phase correlation")
    legend = legend_entries(axes)
    fig.legend(
        legend.values(), legend.keys(), loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8
    )
    fig.tight_layout()
    return fig


def frc_vs_frequency(frc: pd.DataFrame, part: str):
    """FRC against spatial frequency per dose (rows) and view (columns)."""
    data = frc[frc["part"] == part]
    doses, views = sorted(data["dose"].unique()), sorted(data["view"].unique())
    fig, axes = _dose_view_axes(doses, views, (4, 3))
    for (dose, view), group in data.groupby(["dose", "view"]):
        ax = axes[doses.index(dose), views.index(view)]
        for i, ((method, seed), curve) in enumerate(group.groupby(["method", "seed"], sort=False)):
            ax.plot(
                curve["frequency"],
                curve["frc"],
                color=f"C{sorted(group['method'].unique()).index(method)}",
                label=method if seed == group["seed"].min() else None,
            )
            if i == 0:
                ax.plot(curve["frequency"], curve["halfbit"], "k--", lw=0.8, label="½-bit")
        ax.axhline(0.5, color="grey", lw=0.6)
        ax.set_title(f"{part}: dose {dose:g}, {view}")
        ax.set_ylim(-0.1, 1.05)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("spatial frequency (cycles / pixel)")
    for ax in axes[:, 0]:
        ax.set_ylabel("FRC")
    fig.tight_layout()
    return fig
