"""Bad input to the CLI: one line naming the file or field and what to do, exit 2, no traceback."""

import numpy as np
import pytest

from fly64.study.cli.main import main
from fly64.study.settings.model import Study


def run_cli(capsys, *argv) -> str:
    """Run ``fly64 argv``; its stderr,
    after checking exit code 2 and that no traceback was shown.
    """
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    assert (
        "Traceback" not in err
        and err.startswith(f"fly64 {argv[0]}: error:")
        and err.count("\n") == 1
    )
    return err


def write_npz(path, kind):
    """An NPZ that breaks the contract: a pickled array, an empty file or a bare .npy."""
    if kind == "pickled":
        arrays = dict(
            probeGuess=np.ones((32, 32), np.complex64),
            objectGuess=np.ones((96, 96), np.complex64),
            xcoords=np.zeros(1),
            ycoords=np.zeros(1),
        )
        np.savez(path, diffraction=np.array([{"a": 1}], dtype=object), **arrays)
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        np.save(path.with_suffix(".npy"), np.ones(3))
        path.with_suffix(".npy").rename(path)
    return path


CONFIGS = {
    "preset: nope\n": "unknown preset 'nope'",
    "": "is empty",
    "# nothing\n": "must hold a mapping",
    "preset: quick\ndoses: [1e300]\n": "beyond the physical range",
    "preset: quick\nsimulation_seed: -1\n": "simulation_seed",
    "preset: quick\nrepeats: [0, 0]\n": "repeats",
    "preset: quick\ndoses: [1e3\n": "not valid YAML",
}


@pytest.mark.parametrize("text", CONFIGS)
def test_bad_config_file(tmp_path, capsys, text):
    config = tmp_path / "cfg.yaml"
    config.write_text(text)
    err = run_cli(capsys, "simulate", "--config", str(config), "--store", str(tmp_path / "s"))
    assert CONFIGS[text] in err and "cfg.yaml" in err
    assert not (tmp_path / "s").exists()


def test_non_utf8_config(tmp_path, capsys):
    config = tmp_path / "cfg.yaml"
    config.write_bytes("preset: quick\nobject: 'é'\n".encode("latin-1"))
    assert "is not UTF-8" in run_cli(
        capsys, "simulate", "--config", str(config), "--store", str(tmp_path / "s")
    )


@pytest.mark.parametrize("kind", ["pickled", "empty", "npy"])
def test_bad_object_npz(tmp_path, capsys, kind):
    npz = write_npz(tmp_path / "object.npz", kind)
    config = tmp_path / "cfg.yaml"
    config.write_text(f"preset: quick\nobject_npz: {npz}\n")
    err = run_cli(capsys, "simulate", "--config", str(config), "--store", str(tmp_path / "s"))
    assert "object.npz" in err and ("numpy.savez" in err or "never loads" in err)


@pytest.mark.parametrize("where", ["under a file", "unwritable"])
def test_store_path_that_cannot_be_a_directory(tmp_path, capsys, where):
    (tmp_path / "file").write_text("x")
    root = tmp_path / "file" / "store" if where == "under a file" else "/proc/fly64-store"
    err = run_cli(capsys, "simulate", "--preset", "quick", "--store", str(root))
    assert f"cannot create a store at {root}" in err


def test_yaml_exponents_read_as_numbers(tmp_path):
    config = tmp_path / "cfg.yaml"
    config.write_text("preset: quick\ndoses: [1e3, 2.5E4, 1e+5]\nlearning_rate: 1e-3\n")
    study = Study.load(config)
    assert study.doses == [1e3, 2.5e4, 1e5] and study.learning_rate == 1e-3


def test_truncated_metrics_cube(store, capsys):
    cube = store / "results" / "metrics.nc"
    cube.parent.mkdir(exist_ok=True)
    cube.write_bytes(b"\x89HDF\r\n\x1a\n\x00\x00")
    err = run_cli(capsys, "report", "--store", str(store))
    assert "unreadable" in err and "fly64 compare --store" in err
