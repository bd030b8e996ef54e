"""The reconstruct stage on a store: the view's test-split positions and the scientific sanity case.

The sanity case — dose 1e9 (noise-free in practice), quick-preset sizes, dense view — is
what proves that simulation, solver wiring and evaluation frame agree (positions as
window centres, fftshift, intensity scale): the baseline's phase SSIM on the evaluation
mask must reach 0.9 and its correlation 0.95. The object is cut to 192 px (73 test
positions) to keep it short. LSQML, the default, needs many epochs here (most of the
object's spectrum falls in the focused probe's dark field): measured phase SSIM 0.84
after 300 epochs, 0.88 after 600 and 0.91 after 900 (correlation 0.98).
"""

import numpy as np
import pytest

from fly64.data.dataset import open_dose_dataset
from fly64.data.views import load_view
from fly64.metrics import evaluate
from fly64.study import Study
from fly64.study.execution.workspace import prepare_store
from fly64.study.pipeline.overlap import cut_views
from fly64.study.pipeline.reconstruct import reconstruct_cell
from fly64.study.pipeline.simulate import simulate_study
from fly64.study.settings.cells import Cell
from fly64.study.settings.model import StudyError

pytestmark = pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad")

DOSE = 1e9


@pytest.fixture(scope="module")
def store_study(tmp_path_factory):
    study = Study.preset("quick", doses=[DOSE], object_size=192, views={"dense": 0.7})
    store = prepare_store(tmp_path_factory.mktemp("sanity") / "store", study)
    simulate_study(study, store)
    cut_views(study, store)
    return store, study


def test_cell_uses_exactly_the_views_test_positions(store_study):
    store, study = store_study
    study = Study.from_dict({**study.to_dict(), "baseline_epochs": 2, "baseline_chunk": 1})
    result = reconstruct_cell(study, store, Cell(DOSE, "dense", "lsqml", 1, 0), None, store.root)
    view = load_view(store.view_path(DOSE, "dense"))
    ds = open_dose_dataset(store.dose_path(DOSE))
    n = study.patch_size
    lit = np.zeros(ds.sizes["y"], bool)
    for y in ds["positions"].values[view.indices["test"], 0]:
        lit[y - n // 2 : y - n // 2 + n] = True
    assert result.info["n_positions"] == len(view.indices["test"])
    assert np.array_equal(result.weights.any(axis=1), lit)  # only the test windows are lit
    assert result.info["algorithm"] == "lsqml" and result.info["epochs"] == 2
    assert set(result.health) >= {"flat_loss", "collapsed"}
    assert [row["epoch"] for row in result.losses] == [1, 2]


def test_a_pinn_cell_is_refused(store_study):
    store, study = store_study
    with pytest.raises(StudyError, match="iterative solvers"):
        reconstruct_cell(study, store, Cell(DOSE, "dense", "pinn", 1, 0), None, store.root)


@pytest.mark.slow
@pytest.mark.timeout(0)  # bounded by its work (900 epochs of 73 positions), not by the clock
def test_noise_free_dense_view_is_reconstructed(store_study):
    store, study = store_study
    study = Study.from_dict({**study.to_dict(), "baseline_epochs": 900, "baseline_chunk": 100})
    result = reconstruct_cell(study, store, Cell(DOSE, "dense", "lsqml", 1, 0), None, store.root)
    truth = open_dose_dataset(store.dose_path(DOSE))["object"].values
    scores = evaluate(truth, result.object, result.weights, mask_threshold=study.mask_threshold)
    assert max(abs(s) for s in scores.shift_yx) < 0.5  # already on the ground-truth canvas
    assert scores.phase.ssim >= 0.9
    assert scores.phase.correlation >= 0.95
    assert not result.health["collapsed"] and not result.health["flat_loss"]
