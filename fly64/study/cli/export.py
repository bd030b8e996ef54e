"""``fly64 export``: a dose dataset (of one repeat), or one view's split of it, for other tools;
or the finished cells as Ptychodus products.

Formats (``--format``):

* ``npz`` (default): PtychoPINN's NPZ contract — ``diffraction`` (√counts, float32,
  fftshift-ed, (n, N, N)), ``probeGuess``, ``objectGuess`` (the ground truth),
  ``xcoords``/``ycoords`` (window centres, object pixels), ``scan_index``, ``_metadata``.
  ``--layout ptychodus-slac`` writes what Ptychodus's SLAC NPZ readers expect instead
  (``diffraction`` (N, N, n), ``xcoords_start``/``ycoords_start``, the geometry);
* ``cxi``: a CXI file (counts, positions in metres, probe, object, geometry) that Ptychodus's
  CXI readers read (:mod:`fly64.data.cxi`);
* ``product``: each finished cell of the dose (and ``--view``, ``--method``) as a Ptychodus
  HDF5 product (:mod:`fly64.study.display.products`), into the ``--output`` directory.

An ``--output`` that is an existing directory receives a file named after what is exported.
"""

from pathlib import Path

from fly64.data.cxi import export_cxi
from fly64.data.npz import LAYOUTS, export_npz
from fly64.data.store import dose_tag
from fly64.study.cli.arguments import add_store_arg
from fly64.study.display.products import product_name, write_cell_product
from fly64.study.display.store_summary import dose_dataset
from fly64.study.execution.workspace import load_store_study
from fly64.study.pipeline.overlap import load_current_view
from fly64.study.records.registry import finished_cells
from fly64.study.settings.model import StudyError

SPLITS = ("train", "test")
FORMATS = ("npz", "cxi", "product")


def register(sub) -> None:
    parser = sub.add_parser(
        "export",
        help="write a dose (or a view's split) as a PtychoPINN NPZ or a CXI file, or the "
        "finished cells as Ptychodus products",
    )
    add_store_arg(parser)
    parser.add_argument("--dose", type=float, required=True, help="photons per pattern, e.g. 1e4")
    parser.add_argument(
        "--repeat", type=int, default=0, help="the repeat seed whose counts to export (default 0)"
    )
    parser.add_argument("--view", help="export only this view's positions (default: every pattern)")
    parser.add_argument(
        "--split", choices=SPLITS, help="with --view: only its train or test positions"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="npz",
        help="npz (PtychoPINN, default), cxi (Ptychodus, CXI readers) or product (each "
        "finished cell as a Ptychodus HDF5 product)",
    )
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        default=LAYOUTS[0],
        help="with --format npz: ptychopinn (patterns first, default) or ptychodus-slac "
        "(patterns last, for Ptychodus's SLAC NPZ reader)",
    )
    parser.add_argument(
        "--method", help="with --format product: only this method or label (e.g. pinn_gs1)"
    )
    parser.add_argument(
        "--output",
        required=True,
        help="the file to write, or an existing directory to write into "
        "(--format product: a directory, made when missing)",
    )
    parser.set_defaults(func=run)


def _check(args, study) -> None:
    if args.dose not in study.doses:
        raise StudyError(
            f"--dose: {args.dose:g} is not a dose of the study; its doses are {study.doses}"
        )
    if args.view and args.view not in study.views:
        raise StudyError(
            f"--view: the study has no view {args.view!r}; its views are {list(study.views)}"
        )
    if args.repeat not in study.repeats:
        raise StudyError(
            f"--repeat: {args.repeat} is not a repeat of the study; its repeats are {study.repeats}"
        )
    if args.split and not args.view:
        raise StudyError("--split needs --view: a split is a view's train or test positions")
    if args.layout != LAYOUTS[0] and args.format != "npz":
        raise StudyError(f"--layout {args.layout} is an NPZ layout; it needs --format npz")
    if args.method and args.format != "product":
        raise StudyError("--method selects cells; it needs --format product")


def _products(store, study, args) -> int:
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise StudyError(f"--output: {out} is a file; products go into a directory")
    cells = [
        c
        for c in finished_cells(study, store)
        if c.dose == args.dose
        and c.seed == args.repeat
        and (not args.view or c.view == args.view)
        and (not args.method or args.method in (c.method, c.label))
    ]
    if not cells:
        raise StudyError(
            f"no finished cell of dose {args.dose:g}, repeat {args.repeat}"
            + (f", view {args.view!r}" if args.view else "")
            + (f", method {args.method!r}" if args.method else "")
            + "; `fly64 status` lists the cells"
        )
    out.mkdir(parents=True, exist_ok=True)
    for cell in cells:
        path = write_cell_product(store, study, cell, out / product_name(cell))
        print(f"{cell.job_id}: wrote {path}")
    return 0


def run(args) -> int:
    store, study = load_store_study(args.store)
    _check(args, study)
    if args.format == "product":
        return _products(store, study, args)
    indices = None
    if args.view:
        record = load_current_view(store, study, args.dose, args.view, before="exporting it")
        splits = [args.split] if args.split else list(SPLITS)
        indices = [i for split in splits for i in record.indices[split]]
    path = Path(args.output)
    if path.is_dir():  # write into it, named after what is exported
        name = f"fly64-dose-{dose_tag(args.dose)}-r{args.repeat}"
        name += f"-{args.view}" + (f"-{args.split}" if args.split else "") if args.view else ""
        path = path / f"{name}.{args.format}"
    ds = dose_dataset(store, args.dose, args.repeat)
    if args.format == "cxi":
        path = export_cxi(ds, path, study.geometry, indices)
    else:
        geometry = study.geometry if args.layout == "ptychodus-slac" else None
        path = export_npz(ds, path, indices, args.layout, geometry)
    what = (
        f"view {args.view!r}" + (f" ({args.split})" if args.split else "")
        if args.view
        else "every pattern"
    )
    print(f"dose {args.dose:g}, repeat {args.repeat}, {what}: wrote {path}")
    return 0
