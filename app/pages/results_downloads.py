"""The Results page's downloads: the comparison's files, the study's HTML report and a
PtychoPINN NPZ export of a simulated dose (the report and the NPZ are written when asked)."""

import tempfile
from pathlib import Path

import panel as pn

from fly64.data.npz import export_npz
from fly64.data.store import Store, dose_tag
from fly64.study.model import Study
from fly64.study.views_data import dose_dataset


def _report_button(store: Store, folder: Path) -> pn.widgets.FileDownload:
    """Download of the study's HTML report, written into ``folder`` when asked."""

    def report():
        from fly64.study.html_report import write_study_report  # matplotlib: only when asked

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


def _npz_export(store: Store, doses: list[float], folder: Path) -> pn.Row:
    """A dose selector and the download of that dose as a PtychoPINN NPZ, written when asked."""
    dose = pn.widgets.Select(
        label="dose to export (PtychoPINN NPZ)", options={f"{d:g}": d for d in doses}, width=220
    )

    def export():
        path = folder / f"fly64-dose-{dose_tag(dose.value)}.npz"
        return str(export_npz(dose_dataset(store, dose.value), path))

    npz = pn.widgets.FileDownload(
        callback=export,
        filename=f"fly64-dose-{dose_tag(doses[0])}.npz",
        label="export NPZ",
        embed=False,
        width=200,
    )
    dose.param.watch(
        lambda e: setattr(npz, "filename", f"fly64-dose-{dose_tag(e.new)}.npz"), "value"
    )
    return pn.Row(dose, npz)


def downloads(store: Store, files: dict[str, Path], cube):
    """The comparison's files, the study report and an NPZ export of each simulated dose."""
    buttons = [
        pn.widgets.FileDownload(file=str(p), filename=name, label=name, embed=False, width=260)
        for name, p in files.items()
    ]
    folder = Path(tempfile.mkdtemp(prefix="fly64-export-"))
    buttons.append(_report_button(store, folder))
    doses = sorted(float(d) for d in cube["dose"].values if store.dose_path(float(d)).exists())
    if not doses:
        return pn.FlexBox(*buttons)
    return pn.Column(
        pn.FlexBox(*buttons), _npz_export(store, doses, folder), css_classes=["downloads"]
    )
