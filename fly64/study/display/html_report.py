"""A study report in one self-contained HTML file: settings, scene, grid state, results.

:func:`study_report` builds the page from what a store holds — the study's settings (every
field, its description, the settings hash and the package versions), the probe and object
of the first dose (with D₉₀ and each view's overlap figures), the state of every cell, the
comparison's tables (mean ± std (n) over the repeats; the shot-noise limit of each dose and
view, measured ÷ bound, the iterative cells' oracle and stop, which baseline
``best_iterative`` copies, what each refinement's PINN start buys) and its figures (metric
against dose and against photons per object pixel, FRC curves, refinements against their
flat start, reconstructions beside the truth), and the PINN's health flags.
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
from fly64.data.store import Store  # noqa: E402
from fly64.data.views import load_view  # noqa: E402
from fly64.study.display.aggregate import aggregate  # noqa: E402
from fly64.study.display.html_blocks import (  # noqa: E402
    STYLE,
    figure_png,
    html_table,
    img_tag,
    package_versions,
)
from fly64.study.display.store_summary import (  # noqa: E402
    dose_dataset,
    frc_curves,
    scene_summary,
    warm_start_rows,
)
from fly64.study.pipeline.warm_start import warm_start_reading  # noqa: E402
from fly64.study.records.cube import (  # noqa: E402
    FIGURES,
    best_iterative_choices,
    differences,
    frc_band_table,
    load_cube,
    shot_noise_limits,
    speedups,
    stale_reasons,
    tidy_table,
)
from fly64.study.records.jobs import JobState  # noqa: E402
from fly64.study.records.registry import health_text, read_job  # noqa: E402
from fly64.study.settings.cells import iter_cells  # noqa: E402
from fly64.study.settings.model import Study  # noqa: E402

#: (part, metric) pairs summarised in the report's tables (the bounds, the data's and the
#: same for every method, have a table of their own)
SUMMARY = (
    ("phase", "correlation"),
    ("phase", "oracle_correlation"),
    ("amplitude", "correlation"),
    ("phase", "ssim"),
    ("phase", "local_correlation"),
    ("phase", "rmse"),
    ("phase", "rmse_ratio"),
    ("phase", "stop_epoch"),
)
#: metrics shown as whole numbers (epochs); others with three decimals
WHOLE = ("stop_epoch",)
LIMIT_NOTE = (
    "The shot-noise limit assumes a weak-phase object, a known probe and an unbiased "
    "estimator: σ_φ ≥ 1/(2√n) per pixel, n the photons that passed through it over the test "
    "scan (Σ|P|²·|O|²). rmse_bound = √(mean σ_φ²) and correlation_bound = "
    "√(var φ / (var φ + mean σ_φ²)) on each cell's evaluation mask; fluence is the median "
    "photons per object pixel incident there. A regularised or learned method uses prior "
    "knowledge and may beat the RMSE bound (rmse_ratio = measured RMSE ÷ bound below 1). "
    "oracle_correlation is an iterative cell's best object snapshot, chosen by the truth: a "
    "diagnostic of its stop rule, not a result; stop_epoch is where the rule stopped it."
)


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
    """|P|, arg P with the D₉₀ circle and the N/2 support, |O| and arg O."""
    ds = dose_dataset(store, dose)
    probe, obj = ds["probe"].values, ds["object"].values
    scene = scene_summary(store, dose)
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    centre = (probe.shape[0] - 1) / 2
    lit = np.abs(probe) >= 0.01 * np.abs(probe).max()  # arg P is noise where |P| vanishes
    panels = (
        (np.abs(probe), "probe |P| (photons^½)", "gray"),
        (np.where(lit, np.angle(probe), np.nan), "probe arg P (rad, |P| ≥ 1 % of max)", "twilight"),
        (np.abs(obj), "object |O|", "gray"),
        (np.angle(obj), "object arg O (rad)", "twilight"),
    )
    for ax, (image, title, cmap) in zip(axes, panels, strict=True):
        shown = ax.imshow(image, cmap=cmap)
        fig.colorbar(shown, ax=ax, fraction=0.046)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([]), ax.set_yticks([])
    for ax in axes[:2]:
        for diameter, colour, label in (
            (scene.footprint_px, "tab:orange", "D₉₀"),
            (scene.patch_size / 2, "tab:cyan", "N/2"),
        ):
            ax.add_patch(
                plt.Circle((centre, centre), diameter / 2, fill=False, color=colour, label=label)
            )
    axes[0].legend(loc="lower right", fontsize=7)
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


def _spread(frame: pd.DataFrame) -> pd.Series:
    def text(row) -> str:
        digits = 0 if row["metric"] in WHOLE else 3
        spread = f" ± {row['std']:.{digits}f}" if row["n"] > 1 else ""
        return f"{row['mean']:.{digits}f}{spread} ({row['n']:d})"

    return frame.apply(text, axis=1)


def summary_table(table: pd.DataFrame, value: str, keys: list[str]) -> pd.DataFrame:
    """One row per ``keys`` group and part/metric of :data:`SUMMARY`, one column per dose:
    "mean ± std (n)" over the repeats (± left out with one repeat)."""
    chosen = pd.DataFrame(SUMMARY, columns=["part", "metric"]).merge(table)  # SUMMARY's order
    if chosen.empty:
        return chosen
    stats = aggregate(chosen, value)
    stats = stats[stats["n"] > 0].assign(
        text=lambda f: _spread(f), dose=lambda f: f["dose"].map("{:g}".format)
    )
    wide = stats.pivot_table(
        index=["part", "metric", *keys], columns="dose", values="text", aggfunc="first", sort=False
    )
    return wide.reset_index().rename_axis(columns=None)


def _results_section(study: Study, store: Store) -> str:
    cube = load_cube(store)
    table = tidy_table(cube)
    stale = stale_reasons(study, store, cube)
    text = "<h2 id='results'>Results</h2>"
    if stale:
        text += (
            "<p class='warning'>The comparison is out of date: "
            f"{html.escape('; '.join(stale))}.</p>"
        )
    seeds = sorted(int(s) for s in table["seed"].unique())
    text += (
        f"<p>Test split, registered; mean ± standard deviation over {len(seeds)} repeat(s) "
        f"(seeds {', '.join(map(str, seeds))}), count in brackets.</p>"
    )
    text += html_table(
        summary_table(table, "value", ["view", "gridsize", "method"]), classes="metrics"
    )
    text += f"<p class='muted'>{html.escape(LIMIT_NOTE)}</p>" + _limit_tables(cube)
    diff = differences(cube)
    text += "<h3>PINN − baseline (paired per repeat)</h3>" + (
        html_table(
            summary_table(diff, "difference", ["view", "gridsize", "baseline"]),
            classes="differences",
        )
        if len(diff)
        else "<p class='muted'>No dose and view has both a PINN and a baseline result.</p>"
    )
    fast = speedups(cube)
    if len(fast):
        stats = aggregate(fast, "speedup")
        text += "<h3>PINN inference speed-up (baseline seconds / PINN seconds)</h3>" + html_table(
            stats, float_format="{:.3g}".format
        )
    return text + _bands_section(store) + _warm_start_section(store) + _figures(store)


def _bands_section(store: Store) -> str:
    """The phase FRC against the truth averaged over period bands: which spatial scales each
    method gets right (nothing before a comparison with FRC curves)."""
    bands = frc_band_table(frc_curves(store))
    if bands.empty:
        return ""
    return (
        "<h3 id='bands'>Where the phase error lives: FRC by period</h3>"
        "<p>Mean phase FRC against the truth over the rings whose full period lies in each "
        "band (1 = that scale fully right, 0 = none of it). Periods longer than the probe "
        "footprint are carried only by the overlap between patterns.</p>"
        + html_table(
            bands, float_format="{:.2f}".format, formatters={"dose": "{:g}".format}, classes="bands"
        )
    )


def _warm_start_section(store: Store) -> str:
    """What each refinement's PINN start buys against its flat-start solver (nothing for a
    study without refinements)."""
    table = warm_start_rows(store)
    if table.empty:
        return ""
    figure = store.results_dir / FIGURES / "warm_start.png"
    reading = "".join(f"<li>{html.escape(s)}</li>" for s in warm_start_reading(table))
    return (
        "<h3 id='warm-start'>What the PINN's start buys</h3>"
        "<p>Each refinement runs its solver from its PINN's reconstruction; its flat-start "
        "sibling runs the same solver from a flat object on the same data. epochs_to_flat and "
        "seconds_to_flat: the first snapshot (and its time, the PINN's inference included) "
        "whose phase correlation reaches the flat start's; the fractions divide them by the "
        f"flat start's epochs and seconds at its stop.</p><ul>{reading}</ul>"
        + html_table(
            table,
            float_format="{:.3g}".format,
            formatters={"dose": "{:g}".format},
            classes="warm-start",
        )
        + (img_tag(figure.read_bytes(), "warm_start") if figure.is_file() else "")
    )


def _limit_tables(cube) -> str:
    """The shot-noise limit per dose and view, and which baseline ``best_iterative`` copies."""
    limits = shot_noise_limits(cube)
    text = ""
    if len(limits):
        text += "<h3>Shot-noise limit per dose and view</h3>" + html_table(
            limits.rename(columns={"fluence": "photons per object pixel (median)"}),
            float_format="{:.3g}".format,
            formatters={
                "dose": "{:g}".format,
                "photons per object pixel (median)": "{:.1f}".format,
            },
            classes="limits",
        )
    choices = best_iterative_choices(cube)
    if len(choices):
        text += (
            "<h3>best_iterative: the baseline of the lowest selection score</h3>"
            "<p>Per dose, view and seed, by the score each baseline cell recorded from its "
            "data (lower is better), never by the truth.</p>"
            + html_table(
                choices,
                float_format="{:.4g}".format,
                formatters={"dose": "{:g}".format},
                classes="best",
            )
        )
    return text


def _figures(store: Store) -> str:
    folder = store.results_dir / FIGURES
    groups = (
        (
            "Quality against dose (bars: min–max over repeats; dashed: shot-noise bound)",
            ("phase_vs_dose", "amplitude_vs_dose"),
        ),
        (
            "Quality against photons per object pixel (dashed: shot-noise bound)",
            ("phase_vs_fluence",),
        ),
        ("Quality against inference time", ("quality_vs_time",)),
        ("Fourier ring correlation", ("frc_phase", "frc_amplitude")),
    )
    text = ""
    for title, names in groups:
        found = [folder / f"{n}.png" for n in names if (folder / f"{n}.png").exists()]
        if found:
            text += f"<h3>{title}</h3>" + "".join(img_tag(p.read_bytes(), p.stem) for p in found)
    cells = sorted(folder.glob("cell_*.png"))
    if cells:
        text += "<h3>Reconstructions beside the truth (first repeat)</h3>" + "".join(
            img_tag(p.read_bytes(), p.stem) for p in cells
        )
    return text


def study_report(study: Study, store: Store) -> str:
    """The whole report as HTML text (raises :class:`fly64.study.records.cube.NoResultsError`
    when the store holds no comparison)."""
    results = _results_section(study, store)
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
