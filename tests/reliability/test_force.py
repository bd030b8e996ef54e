"""``--force`` reads every input the new settings name before it archives anything."""

import pytest

from fly64.data.dataset import open_dose_dataset
from fly64.data.npz import export_npz
from fly64.study.cli.main import main


@pytest.mark.parametrize("fault", ["probe of another size", "missing object", "not an npz"])
def test_force_with_bad_inputs_archives_nothing(store, tmp_path, capsys, fault):
    npz = tmp_path / "object.npz"
    if (
        fault == "probe of another size"
    ):  # the store's 16 px probe under the quick preset's patch_size 32
        export_npz(open_dose_dataset(store / "doses/dose-1e3.zarr"), npz)
    elif fault == "not an npz":
        npz.write_text("not an npz")
    config = tmp_path / "cfg.yaml"
    config.write_text(f"preset: quick\nobject_npz: {npz}\n")
    before = sorted(p.relative_to(store) for p in store.rglob("*"))
    assert main(["run", "--config", str(config), "--store", str(store), "--force"]) == 2
    err = capsys.readouterr().err
    assert ("patch_size" if fault == "probe of another size" else "object.npz") in err
    assert "Traceback" not in err
    assert not (store / "archive").exists()
    assert sorted(p.relative_to(store) for p in store.rglob("*")) == before
