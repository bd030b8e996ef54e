"""``fly64 simulate``: the simulate stage, one dataset per dose (skips doses already simulated)."""

from tqdm import tqdm

from fly64.study.cli.arguments import add_filter_args, add_study_args, study_from_args
from fly64.study.cli.run import print_warnings
from fly64.study.execution.workspace import prepare_store
from fly64.study.pipeline.simulate import simulate_study


def register(sub) -> None:
    parser = sub.add_parser("simulate", help="simulate diffraction at each dose")
    add_study_args(parser)
    add_filter_args(parser, "dose")
    parser.set_defaults(func=run)


def run(args) -> int:
    study = study_from_args(args)
    print_warnings(study)
    store = prepare_store(args.store, study, force=args.force)
    bars: dict[float, tqdm] = {}

    def progress(dose, done, total):
        if dose not in bars:
            bars[dose] = tqdm(total=total, desc=f"dose {dose:g}", unit="pattern")
        bar = bars[dose]
        bar.update(done - bar.n)

    report = simulate_study(study, store, doses=args.doses or None, progress=progress)
    for bar in bars.values():
        bar.close()
    for dose, path, skipped in report:
        state = "up to date" if skipped else "wrote"
        print(f"dose {dose:g}: {state} {path}")
    return 0
