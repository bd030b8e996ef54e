"""``fly64 compare``: the evaluate stage; scores every finished cell, writes cube and figures."""

from fly64.study.cli.arguments import add_store_arg
from fly64.study.execution.workspace import load_store_study
from fly64.study.pipeline.compare import compare_study


def register(sub) -> None:
    parser = sub.add_parser(
        "compare", help="metrics of every finished cell: cube, tidy CSV, FRC curves, figures"
    )
    add_store_arg(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    store, study = load_store_study(args.store)
    comparison = compare_study(study, store)
    print(f"scored {len(comparison.cells)} finished cells")
    for job_id, why in comparison.failed.items():
        print(f"not scored: {job_id}: {why}")
    print(f"cube     {comparison.cube}\ntable    {comparison.table}\nfrc      {comparison.frc}")
    print(f"figures  {len(comparison.figures)} in {comparison.cube.parent / 'figures'}")
    return 1 if comparison.failed else 0
