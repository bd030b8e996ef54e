"""`fly64 simulate` and `fly64 run` print the study's warnings to stderr and carry on."""

from fly64.study import Study
from fly64.study.cli.main import main


def focused_config(tmp_path):
    config = tmp_path / "focused.yaml"
    Study.preset("quick", probe="focused").save(config)
    return str(config)


def test_simulate_warns_about_a_focused_probe_and_still_simulates(tmp_path, capsys):
    store = str(tmp_path / "s")
    assert (
        main(["simulate", "--config", focused_config(tmp_path), "--store", store, "--dose", "1000"])
        == 0
    )
    captured = capsys.readouterr()
    assert "dose 1000: wrote" in captured.out
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and warnings[0].startswith("warning: probe: only")
    assert (
        main(["simulate", "--store", store, "--preset", "quick", "--dose", "1000", "--force"]) == 0
    )
    assert "warning:" not in capsys.readouterr().err  # the default probe fits the PINN's support


def test_run_warns_before_it_starts(tmp_path, capsys):
    argv = [
        "run",
        "--config",
        focused_config(tmp_path),
        "--store",
        str(tmp_path / "s"),
        "--dose",
        "7",
    ]
    assert main(argv) == 2  # the filter matches no cell: the run ends before submitting anything
    err = capsys.readouterr().err
    assert err.index("warning: probe: only") < err.index("matches no cell")
