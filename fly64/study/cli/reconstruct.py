"""``fly64 reconstruct``: the reconstruct stage, each matching iterative-baseline cell as a job."""

from fly64.study.cli.arguments import add_filter_args, add_study_args, study_from_args
from fly64.study.cli.run import add_executor_args, follow, make_runner
from fly64.study.settings.cells import select_cells
from fly64.study.settings.model import StudyError


def register(sub) -> None:
    parser = sub.add_parser(
        "reconstruct", help="run the iterative baseline cells (runs missing upstream stages first)"
    )
    add_study_args(parser)
    add_filter_args(parser, "dose", "view")
    add_executor_args(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    study = study_from_args(args)
    if not study.baseline_methods:
        raise StudyError(f"methods: the study has no iterative baseline (methods {study.methods})")
    cells = select_cells(study, doses=args.doses, views=args.views, methods=study.baseline_methods)
    with make_runner(args, study) as runner:
        return follow(runner, runner.submit_cells(cells))
