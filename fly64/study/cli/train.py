"""``fly64 train``: the train stage, the PINN cells matching the filters, each as a job."""

from fly64.study.cli.arguments import add_filter_args, add_study_args, study_from_args
from fly64.study.cli.run import add_executor_args, follow, make_runner, print_warnings
from fly64.study.settings.cells import select_cells
from fly64.study.settings.methods import Method


def register(sub) -> None:
    parser = sub.add_parser(
        "train", help="train the PINN cells (runs missing upstream stages first)"
    )
    add_study_args(parser)
    add_filter_args(parser, "dose", "view", "gridsize")
    add_executor_args(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    study = study_from_args(args)
    print_warnings(study)
    cells = select_cells(
        study, doses=args.doses, views=args.views, methods=[Method.PINN], gridsizes=args.gridsizes
    )
    with make_runner(args, study) as runner:
        return follow(runner, runner.submit_cells(cells))
