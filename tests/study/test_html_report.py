"""The study report: one self-contained HTML file holding settings, scene, grid,
tables and figures.
"""

import re

import numpy as np
import pytest

from fly64.study.cli.main import main
from fly64.study.display.html_report import study_report, write_study_report
from fly64.study.display.report_results import summary_table
from fly64.study.pipeline.compare import compare_study
from fly64.study.pipeline.overlap import cut_views
from fly64.study.settings.cells import Cell
from tests.study.test_compare import finish, simulated_store


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """A one-dose quick study, views cut, two repeats of a PINN and an LSQML cell scored."""
    study, store, truth, weights = simulated_store(
        tmp_path_factory.mktemp("report") / "store",
        methods=["pinn", "lsqml"],
        gridsizes=[1],
        repeats=[0, 1],
    )
    cut_views(study, store)
    rng = np.random.default_rng(0)
    for seed in (0, 1):
        for method, noise in (("pinn", 0.4), ("lsqml", 0.1)):
            noisy = truth * np.exp(1j * noise * (1 + seed) * rng.standard_normal(truth.shape))
            finish(store, Cell(1e3, "dense", method, 1, seed), noisy.astype(np.complex64), weights)
    compare_study(study, store)
    return study, store


def test_the_report_holds_every_setting_the_grid_tables_and_figures(compared):
    study, store = compared
    text = study_report(study, store)
    for name in study.setting_names():
        assert f"<th>{name}</th>" in text
    assert study.settings_hash() in text and "ptychi" in text and "torch" in text
    assert "4 cells: 4 done." in text
    assert re.search(r"0\.\d{3} ± 0\.\d{3} \(2\)", text)  # mean ± std (n) over the two repeats
    assert "PINN − baseline (paired per repeat)" in text
    assert "FRC by period" in text and "<th>8-16 px</th>" in text  # one row per scored cell
    stems = set(re.findall(r'<img alt="([^"]+)"', text))
    assert {
        "probe and object",
        "phase_vs_dose",
        "amplitude_vs_dose",
        "frc_phase",
        "frc_amplitude",
        "cell_d1e3_dense",
    } <= stems
    assert "dense" in text and "1 − S/D₉₀" in text


def test_the_report_needs_nothing_outside_the_file(compared):
    text = study_report(*compared)
    sources = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']*)', text)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "<script" not in text and "<link" not in text and "url(" not in text


def test_summary_table_gives_mean_std_and_n_per_dose():
    import pandas as pd

    table = pd.DataFrame(
        {
            "dose": [1e3, 1e3, 1e4],
            "view": "dense",
            "gridsize": 1,
            "method": "lsqml",
            "seed": [0, 1, 0],
            "part": "phase",
            "metric": "correlation",
            "value": [0.5, 0.7, 0.9],
        }
    )
    wide = summary_table(table, "value", ["view", "gridsize", "method"])
    assert wide.loc[0, "1000"] == "0.600 ± 0.141 (2)" and wide.loc[0, "10000"] == "0.900 (1)"


def test_the_cli_writes_the_report_and_refuses_html_without_a_file(compared, tmp_path, capsys):
    _, store = compared
    out = tmp_path / "study.html"
    assert (
        main(["report", "--store", str(store.root), "--format", "html", "--output", str(out)]) == 0
    )
    assert out.read_text().startswith("<!DOCTYPE html>") and "MB)" in capsys.readouterr().out
    assert main(["report", "--store", str(store.root), "--format", "html"]) == 2
    assert "--output" in capsys.readouterr().err
    assert (
        main(["report", "--store", str(store.root), "--format", "csv", "--output", str(out)]) == 2
    )


def test_the_report_of_a_store_without_a_comparison_is_a_clear_error(tmp_path, capsys):
    study, store, *_ = simulated_store(tmp_path / "store")
    assert (
        main(
            [
                "report",
                "--store",
                str(store.root),
                "--format",
                "html",
                "--output",
                str(tmp_path / "r.html"),
            ]
        )
        == 2
    )
    assert "no finished cell" in capsys.readouterr().err
    with pytest.raises(Exception, match="no comparison|fly64 compare"):
        write_study_report(study, store, tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()
