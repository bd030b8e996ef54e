"""``fly64 overlap``: the overlap stage; cuts the views, prints each one's spacing and overlap."""

from fly64.data.store import dose_tag
from fly64.study.cli.arguments import add_filter_args, add_study_args, study_from_args
from fly64.study.execution.workspace import prepare_store
from fly64.study.pipeline.entries import view_summary
from fly64.study.pipeline.overlap import InfeasibleViewError, cut_views
from fly64.study.pipeline.simulate import simulate_study
from fly64.study.settings.cells import select_cells


def register(sub) -> None:
    parser = sub.add_parser("overlap", help="cut the dense/sparse views and report their overlap")
    add_study_args(parser)
    add_filter_args(parser, "dose", "view")
    parser.set_defaults(func=run)


def format_view(summary: dict, reused: bool) -> str:
    """One line: positions kept per split, median spacing, measured overlap."""
    parts = [
        f"dose {dose_tag(summary['dose'])} {summary['view']:<7} S = {summary['spacing']:.1f} px:"
    ]
    for split in ("train", "test"):
        s = summary[split]
        parts.append(
            f"{split} {s['positions']} positions, median spacing {s['median_spacing_px']:.1f} px, "
            f"overlap {s['disc_overlap']:.2f} (disc) / {s['linear_overlap']:.2f} (linear);"
        )
    return " ".join(parts).rstrip(";") + (" (up to date)" if reused else "")


def run(args) -> int:
    study = study_from_args(args)
    cells = select_cells(study, doses=args.doses, views=args.views)
    store = prepare_store(args.store, study, force=args.force)
    doses = list(dict.fromkeys(c.dose for c in cells))
    views = list(dict.fromkeys(c.view for c in cells))
    simulate_study(study, store, doses=doses)
    infeasible = []
    for dose in doses:
        for view in views:
            try:
                [(record, reused)] = cut_views(study, store, doses=[dose], views=[view])
            except InfeasibleViewError as exc:
                infeasible.append(str(exc))
                continue
            print(format_view(view_summary(record), reused))
    if infeasible:
        raise InfeasibleViewError("\n".join(infeasible))
    return 0
