"""``fly64 refine``: the refine stage, each matching PINN-initialised refinement cell as a job."""

from fly64.study.cli.arguments import add_filter_args, add_study_args, study_from_args
from fly64.study.cli.run import add_executor_args, follow, make_runner
from fly64.study.settings.cells import select_cells
from fly64.study.settings.methods import REFINEMENTS
from fly64.study.settings.model import StudyError


def register(sub) -> None:
    parser = sub.add_parser(
        "refine",
        help="run the PINN-initialised refinement cells (trains their PINN cells first)",
    )
    add_study_args(parser)
    add_filter_args(parser, "dose", "view", "gridsize")
    add_executor_args(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    study = study_from_args(args)
    methods = [m for m in study.methods if m in REFINEMENTS]
    if not methods:
        raise StudyError(
            f"methods: the study has no refinement {list(REFINEMENTS)} (methods {study.methods})"
        )
    cells = select_cells(
        study, doses=args.doses, views=args.views, methods=methods, gridsizes=args.gridsizes
    )
    with make_runner(args, study) as runner:
        return follow(runner, runner.submit_cells(cells))
