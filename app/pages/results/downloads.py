"""The Results page's downloads: the comparison's files, the study's HTML report, a simulated
dose as a PtychoPINN NPZ, a Ptychodus SLAC NPZ or a CXI file, and each finished cell as a
Ptychodus HDF5 product (the report and the exports are written when asked)."""

import shutil
import tempfile
import weakref
from pathlib import Path

import panel as pn

from fly64.data import Store, dose_tag, export_npz
from fly64.data.cxi import export_cxi
from fly64.study import Cell, Study, dose_dataset, product_name, write_cell_product

#: the dose export's formats: label → (file suffix, writer of (store, study, dose, path))
DOSE_FORMATS = {
    "PtychoPINN NPZ": (
        "npz",
        lambda store, study, dose, path: export_npz(dose_dataset(store, dose), path),
    ),
    "Ptychodus SLAC NPZ": (
        "slac.npz",
        lambda store, study, dose, path: export_npz(
            dose_dataset(store, dose), path, layout="ptychodus-slac", geometry=study.geometry
        ),
    ),
    "CXI": (
        "cxi",
        lambda store, study, dose, path: export_cxi(
            dose_dataset(store, dose), path, study.geometry
        ),
    ),
}


class ExportFolder:
    """Where one page writes the files it is asked to download: a temporary folder made at the
    first request (not at each rebuild), removed by :meth:`remove` (the page calls it at the
    session's end) or else when the folder object is collected or the process exits."""

    def __init__(self):
        self._path: Path | None = None
        self._finalizer = None

    def __truediv__(self, name: str) -> Path:
        if self._path is None:
            self._path = Path(tempfile.mkdtemp(prefix="fly64-export-"))
            self._finalizer = weakref.finalize(self, shutil.rmtree, self._path, True)
        return self._path / name

    def remove(self, *_) -> None:
        """Delete the folder and what was written into it (a later request makes a new one)."""
        if self._finalizer is not None:
            self._finalizer()
        self._path = self._finalizer = None


def _report_button(store: Store, folder: ExportFolder) -> pn.widgets.FileDownload:
    """Download of the study's HTML report, written into ``folder`` when asked."""

    def report():
        from fly64.study import write_study_report  # matplotlib: imported only when asked

        study = Study.load(store.study_path, whole=True)
        return str(write_study_report(study, store, folder / "fly64-study-report.html"))

    return pn.widgets.FileDownload(
        callback=report,
        filename="fly64-study-report.html",
        label="study report (HTML)",
        embed=False,
        width=260,
        color="primary",
        css_classes=["study-report"],
    )


def _dose_export(store: Store, doses: list[float], folder: ExportFolder) -> pn.Row:
    """A dose and format selector and the download of that dose, written when asked."""
    dose = pn.widgets.Select(
        label="dose to export", options={f"{d:g}": d for d in doses}, width=160
    )
    fmt = pn.widgets.Select(label="format", options=list(DOSE_FORMATS), width=200)

    def name() -> str:
        return f"fly64-dose-{dose_tag(dose.value)}.{DOSE_FORMATS[fmt.value][0]}"

    def export():
        study = Study.load(store.study_path, whole=True)
        return str(DOSE_FORMATS[fmt.value][1](store, study, dose.value, folder / name()))

    button = pn.widgets.FileDownload(
        callback=export, filename=name(), label="export dose", embed=False, width=200
    )
    for widget in (dose, fmt):
        widget.param.watch(lambda _: setattr(button, "filename", name()), "value")
    return pn.Row(dose, fmt, button)


def _product_export(store: Store, cells: list[Cell], folder: ExportFolder) -> pn.Row:
    """A finished-cell selector and the download of that cell as a Ptychodus HDF5 product."""
    cell = pn.widgets.Select(
        label="cell to export (Ptychodus product)",
        options={c.job_id: c for c in cells},
        width=320,
    )

    def export():
        study = Study.load(store.study_path, whole=True)
        return str(write_cell_product(store, study, cell.value, folder / product_name(cell.value)))

    button = pn.widgets.FileDownload(
        callback=export,
        filename=product_name(cells[0]),
        label="export product",
        embed=False,
        width=200,
        css_classes=["cell-product"],
    )
    cell.param.watch(lambda e: setattr(button, "filename", product_name(e.new)), "value")
    return pn.Row(cell, button)


def downloads(store: Store, files: dict[str, Path], cube, cells: list[Cell], folder: ExportFolder):
    """The comparison's files, the study report, an export of each simulated dose and a
    Ptychodus product of each finished cell (``cells``); what is written on request goes into
    ``folder``."""
    buttons = [
        pn.widgets.FileDownload(file=str(p), filename=name, label=name, embed=False, width=260)
        for name, p in files.items()
    ]
    buttons.append(_report_button(store, folder))
    doses = sorted(float(d) for d in cube["dose"].values if store.dose_path(float(d)).exists())
    exports = [_dose_export(store, doses, folder)] if doses else []
    exports += [_product_export(store, cells, folder)] if cells else []
    if not exports:
        return pn.FlexBox(*buttons)
    return pn.Column(pn.FlexBox(*buttons), *exports, css_classes=["downloads"])
