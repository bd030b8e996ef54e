"""``fly64 export``: a dose dataset (of one repeat), or one view's split of it,
in PtychoPINN's NPZ contract.

The file holds ``diffraction`` (√counts, float32, fftshift-ed), ``probeGuess``,
``objectGuess`` (the ground truth), ``xcoords``/``ycoords`` (window centres, object pixels),
``scan_index`` (the exported patterns' indices in the dose dataset) and ``_metadata`` (dose,
simulation seed, footprint, split labels), so any cell's data can be taken to PtychoPINN,
Ptychodus or pty-chi directly.
"""

from fly64.data.npz import export_npz
from fly64.study.cli import add_store_arg
from fly64.study.model import StudyError
from fly64.study.overlap import load_current_view
from fly64.study.views_data import dose_dataset
from fly64.study.workspace import load_store_study

SPLITS = ("train", "test")


def register(sub) -> None:
    parser = sub.add_parser("export", help="write a dose (or a view's split) as a PtychoPINN NPZ")
    add_store_arg(parser)
    parser.add_argument("--dose", type=float, required=True, help="photons per pattern, e.g. 1e4")
    parser.add_argument(
        "--repeat", type=int, default=0, help="the repeat seed whose counts to export (default 0)"
    )
    parser.add_argument("--view", help="export only this view's positions (default: every pattern)")
    parser.add_argument(
        "--split", choices=SPLITS, help="with --view: only its train or test positions"
    )
    parser.add_argument("--output", required=True, help="the NPZ file to write")
    parser.set_defaults(func=run)


def run(args) -> int:
    store, study = load_store_study(args.store)
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
    indices = None
    if args.view:
        record = load_current_view(store, study, args.dose, args.view, before="exporting it")
        splits = [args.split] if args.split else list(SPLITS)
        indices = [i for split in splits for i in record.indices[split]]
    path = export_npz(dose_dataset(store, args.dose, args.repeat), args.output, indices)
    what = (
        f"view {args.view!r}" + (f" ({args.split})" if args.split else "")
        if args.view
        else "every pattern"
    )
    print(f"dose {args.dose:g}, repeat {args.repeat}, {what}: wrote {path}")
    return 0
