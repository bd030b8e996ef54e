"""The results section of the study report (:mod:`fly64.study.display.html_report`), as
HTML text.

It reads the comparison a store holds: the tidy table summarised per dose as "mean ± std (n)"
over the repeats (:data:`SUMMARY`'s metrics), the shot-noise limit of each dose and view
(photons per object pixel, bounds in radians), which baseline ``best_iterative`` copies,
PINN − baseline differences and inference speed-ups, the phase FRC by period band, what each
refinement's PINN start buys, and the comparison's figures (PNGs embedded as ``data:`` URIs).
"""

import html

import pandas as pd

from fly64.data.store import FIGURES, Store
from fly64.study.display.aggregate import aggregate
from fly64.study.display.html_blocks import html_table, img_tag
from fly64.study.display.result_summary import frc_curves, warm_start_rows
from fly64.study.pipeline.warm_start import warm_start_reading
from fly64.study.records.cube import load_cube, stale_reasons
from fly64.study.records.cube_tables import (
    best_iterative_choices,
    differences,
    frc_band_table,
    shot_noise_limits,
    speedups,
    tidy_table,
)
from fly64.study.settings.model import Study

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


def results_section(study: Study, store: Store) -> str:
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
