"""A study report in one self-contained HTML file: settings, scene, grid state, results.

:func:`study_report` builds the page from what a store holds — the study's settings (every
field, its description, the settings hash and the package versions), the probe and object
of the first dose (with D₉₀ and each view's overlap figures), the state of every cell, the
comparison's tables (mean ± std (n) over the repeats; the shot-noise limit of each dose and
view, measured ÷ bound, the iterative cells' oracle and stop, which baseline
``best_iterative`` copies, what each refinement's PINN start buys) and its figures (metric
against dose and against photons per object pixel, FRC curves, refinements against their
flat start, reconstructions beside the truth; the results section is
:mod:`fly64.study.display.report_results`), and the PINN's health flags.
Figures are PNGs embedded as ``data:`` URIs (re-encoded with a 256-colour palette), styles
are inline: the file opens offline and requests nothing.
"""

import html
import time
from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from fly64.data.atomic import write_bytes_atomic  # noqa: E402
from fly64.data.provenance import package_versions  # noqa: E402
from fly64.data.store import Store  # noqa: E402
from fly64.data.views import load_view  # noqa: E402
from fly64.study.display.geometry import image_bounds, probe_circles  # noqa: E402
from fly64.study.display.html_blocks import (  # noqa: E402
    STYLE,
    figure_png,
    html_table,
    img_tag,
)
from fly64.study.display.report_results import results_section  # noqa: E402
from fly64.study.display.store_summary import (  # noqa: E402
    dose_dataset,
    scene_summary,
)
from fly64.study.records.jobs import JobState  # noqa: E402
from fly64.study.records.registry import health_text, read_job  # noqa: E402
from fly64.study.settings.cells import iter_cells  # noqa: E402
from fly64.study.settings.model import Study  # noqa: E402


def _settings_section(study: Study) -> str:
    rows = [
        (name, repr(getattr(study, name)), study.param[name].doc or "")
        for name in study.setting_names()
    ]
    body = "".join(
        f"<tr><th>{html.escape(n)}</th><td>{html.escape(v)}</td><td>{html.escape(d)}</td></tr>"
        for n, v, d in rows
    )
    versions = ", ".join(f"{k} {v}" for k, v in package_versions().items())
    return (
        f"<h2 id='settings'>Settings</h2><p>Settings hash <code>{study.settings_hash()}</code> · "
        f"{html.escape(versions)}</p><table><tr><th>setting</th><th>value</th><th>description</th></tr>"
        f"{body}</table>"
    )


def _scene_figure(store: Store, dose: float) -> bytes:
    """|P|, arg P with the probe's circles (D₉₀, D₉₉, N/2), |O| and arg O."""
    ds = dose_dataset(store, dose)
    probe, obj = ds["probe"].values, ds["object"].values
    scene = scene_summary(store, dose)
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    lit = np.abs(probe) >= 0.01 * np.abs(probe).max()  # arg P is noise where |P| vanishes
    panels = (
        (np.abs(probe), "probe |P| (photons^½)", "gray", True),
        (
            np.where(lit, np.angle(probe), np.nan),
            "probe arg P (rad, |P| ≥ 1 % of max)",
            "twilight",
            True,
        ),
        (np.abs(obj), "object |O|", "gray", False),
        (np.angle(obj), "object arg O (rad)", "twilight", False),
    )
    for ax, (image, title, cmap, centred) in zip(axes, panels, strict=True):
        x0, y0, x1, y1 = image_bounds(image.shape, centred=centred)
        shown = ax.imshow(image, cmap=cmap, extent=(x0, x1, y1, y0))
        fig.colorbar(shown, ax=ax, fraction=0.046)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    for ax in axes[:2]:
        for circle in probe_circles(scene):
            ax.add_patch(
                plt.Circle(
                    (0, 0),
                    circle.radius,
                    fill=False,
                    color=circle.colour,
                    linestyle=circle.dash,
                    label=circle.label,
                )
            )
    axes[0].legend(loc="lower right", fontsize=7, facecolor="0.6")
    return figure_png(fig)


def _scene_section(study: Study, store: Store) -> str:
    doses = [d for d in study.doses if store.dose_path(d).exists()]
    if not doses:
        return "<h2 id='scene'>Probe and object</h2><p class='muted'>No dose simulated yet.</p>"
    scene = scene_summary(store, doses[0])
    rows = []
    for view in study.views:
        path = store.view_path(doses[0], view)
        if not path.exists():
            continue
        record = load_view(path)
        for split, diag in record.diagnostics.items():
            rows.append(
                {
                    "view": view,
                    "split": split,
                    "spacing S (px)": record.spacing,
                    "1 − S/D₉₀": 1 - record.spacing / scene.footprint_px,
                    "linear overlap (median)": diag["linear_overlap_median"],
                    "disc overlap (mean)": diag["disc_overlap_mean"],
                    "positions": len(record.indices[split]),
                    "covered fraction": diag["covered_fraction"],
                }
            )
    overlap = (
        html_table(pd.DataFrame(rows), float_format="{:.3g}".format)
        if rows
        else ("<p class='muted'>No view cut yet.</p>")
    )
    return (
        f"<h2 id='scene'>Probe and object</h2><p>Window N = {scene.patch_size} px, probe footprint "
        f"D₉₀ = {scene.footprint_px:.1f} px, D₉₉ = {scene.footprint_99_px:.1f} px, "
        f"{scene.support_fraction:.1%} of |P|² inside the N/2 support; object "
        f"{html.escape(scene.object_source)}.</p>"
        f"{img_tag(_scene_figure(store, doses[0]), 'probe and object')}"
        f"<h3>Overlap of each view (dose {doses[0]:g})</h3>{overlap}"
    )


def _grid_section(study: Study, store: Store) -> str:
    """The state of every cell and the health flags the PINN cells raised."""
    states, flagged, unfinished = Counter(), [], []
    for cell in iter_cells(study):
        status = read_job(store.job_dir(cell.job_id))
        state = status.state if status else "not run"
        states[state] += 1
        if state != JobState.DONE:
            unfinished.append(
                {"cell": cell.job_id, "state": state, "message": status.message if status else ""}
            )
        flags = health_text(status.health if status else None, healthy="")
        if flags:
            flagged.append({"cell": cell.job_id, "health flags": flags})
    counts = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
    text = f"<h2 id='grid'>Grid</h2><p>{sum(states.values())} cells: {html.escape(counts)}.</p>"
    if unfinished:
        text += html_table(pd.DataFrame(unfinished))
    text += "<h3>Health flags</h3>" + (
        html_table(pd.DataFrame(flagged)) if flagged else "<p>No cell raised a health flag.</p>"
    )
    return text


def study_report(study: Study, store: Store) -> str:
    """The whole report as HTML text (raises :class:`fly64.study.records.cube.NoResultsError`
    when the store holds no comparison)."""
    results = results_section(study, store)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<title>fly64 study report</title>"
        f"<style>{STYLE}</style></head><body><h1>fly64 study report</h1>"
        f"<p class='muted'>Store {html.escape(str(store.root))} · written {stamp}</p>"
        f"{results}{_grid_section(study, store)}{_scene_section(study, store)}"
        f"{_settings_section(study)}</body></html>"
    )


def write_study_report(study: Study, store: Store, path: str | Path) -> Path:
    """Write :func:`study_report` to ``path`` (atomically); returns the path."""
    path = Path(path)
    write_bytes_atomic(path, study_report(study, store).encode("utf-8"))
    return path
