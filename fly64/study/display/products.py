"""A finished cell as a Ptychodus HDF5 product (:mod:`fly64.data.product`): its object, the
dose dataset's probe (the one the cell used, unless ``train_probe`` / ``baseline_free_probe``
let it refine the probe, which fly64 does not keep), its test positions, its loss history, and
the method and every setting in the comments (JSON)."""

import json
from pathlib import Path

from fly64.data.dataset import open_dose_dataset
from fly64.data.product import write_product
from fly64.data.store import Store
from fly64.study.pipeline.overlap import load_current_view
from fly64.study.records.cell_result import load_result
from fly64.study.settings.cells import Cell
from fly64.study.settings.methods import Method
from fly64.study.settings.model import Study

#: the per-epoch loss column of a cell's losses.csv: the PINN's training loss, the solver's cost
LOSS_COLUMNS = ("train", "cost")


def product_name(cell: Cell) -> str:
    """The product's file name of a cell: its job id and ``.h5``."""
    return f"{cell.job_id}.h5"


def write_cell_product(store: Store, study: Study, cell: Cell, path: str | Path) -> Path:
    """Write a finished cell as a Ptychodus product at ``path``; returns it.

    Raises FileNotFoundError when the cell has no result yet and
    :class:`~fly64.study.records.cell_result.DamagedResultError` when its files are damaged.
    """
    result = load_result(store.job_dir(cell.job_id))
    ds = open_dose_dataset(store.dose_path(cell.dose, cell.seed))
    indices = load_current_view(store, study, cell.dose, cell.view, "exporting it").indices["test"]
    column = next((c for c in LOSS_COLUMNS if result.losses and c in result.losses[0]), None)
    losses = [
        (int(row["epoch"]), row[column])
        for row in result.losses
        if column and row.get(column) is not None
    ]
    comments = {
        "source": "fly64",
        "method": cell.method,
        "label": cell.label,
        "dose_photons_per_pattern": cell.dose,
        "view": cell.view,
        "seed": cell.seed,
        "probe": "the dose dataset's probe (sqrt(photons)), "
        + (
            "the cell's start: the cell refined it, and fly64 does not keep the refined probe"
            if (study.train_probe if cell.method == Method.PINN else study.baseline_free_probe)
            else "which the cell used, fixed"
        ),
        "positions": "the view's test split, about the object's centre",
        "loss": column,
        "info": result.info,
        "settings": study.to_dict(),
    }
    return write_product(
        path,
        name=cell.job_id,
        comments=json.dumps(comments, default=str),
        obj=result.object,
        probe=ds["probe"].values,
        positions=ds["positions"].values[indices],
        indices=indices,
        geometry=study.geometry,
        losses=losses,
        probe_photon_count=cell.dose,
    )
