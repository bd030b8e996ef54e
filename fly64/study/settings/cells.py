"""Cells of the study grid, enumerated lazily from the study model and filtered."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from fly64.data.store import dose_tag
from fly64.study.settings.methods import BASELINES, REFINEMENT_PREFIX, REFINEMENTS, Method
from fly64.study.settings.model import Study, StudyError


def method_label(method: str, gridsize: int) -> str:
    """A method's label in tables and the metrics cube: ``pinn_gs<g>`` for the PINN,
    ``pinn_gs<g>+<solver>`` for a refinement, the method's name for a baseline."""
    if method == Method.PINN or method in REFINEMENTS:
        return f"{Method.PINN}_gs{gridsize}" + method.removeprefix(Method.PINN)
    return method


@dataclass(frozen=True, order=True)
class Cell:
    """One reconstruction of the grid: a method at a dose, a view and a repeat seed.

    ``gridsize`` is the PINN's group side (C = gridsize² patterns per input), also of a
    refinement (``pinn+<solver>``: its PINN's); iterative baselines use single patterns and
    carry gridsize 1.
    """

    dose: float
    view: str
    method: str
    gridsize: int
    seed: int

    @property
    def label(self) -> str:
        """Method label used in tables and the metrics cube: ``pinn_gs1``, ``pinn_gs2``,
        ``lsqml``, ``pinn_gs1+epie`` …
        """
        return method_label(self.method, self.gridsize)

    @property
    def uses_pinn(self) -> bool:
        """A PINN cell or a refinement of one (its gridsize is the PINN's)."""
        return self.method == Method.PINN or self.method in REFINEMENTS

    @property
    def stage(self) -> str:
        """The stage that makes this cell: ``train`` (the PINN), ``reconstruct`` (a baseline)
        or ``refine`` (a solver started from the PINN's reconstruction)."""
        if self.method in REFINEMENTS:
            return "refine"
        return "train" if self.method == Method.PINN else "reconstruct"

    @property
    def solver(self) -> str | None:
        """The iterative solver a baseline or refinement runs (None for the PINN)."""
        return None if self.method == Method.PINN else self.method.removeprefix(REFINEMENT_PREFIX)

    @property
    def parent(self) -> "Cell | None":
        """A refinement's PINN cell (None for other cells)."""
        if self.method not in REFINEMENTS:
            return None
        return Cell(self.dose, self.view, str(Method.PINN), self.gridsize, self.seed)

    @property
    def job_id(self) -> str:
        return f"{self.stage}-d{dose_tag(self.dose)}-{self.view}-{self.label}-s{self.seed}"


def iter_cells(study: Study) -> Iterator[Cell]:
    """Every cell of the grid, in dose, view, method, gridsize, seed order (lazy)."""
    for dose in study.doses:
        for view in study.views:
            for method in study.methods:
                gridsizes = (
                    study.gridsizes if method == Method.PINN or method in REFINEMENTS else [1]
                )
                for gridsize in gridsizes:
                    for seed in study.repeats:
                        yield Cell(float(dose), view, method, gridsize, seed)


def _matches(cell: Cell, doses, views, methods, gridsizes) -> bool:
    return (
        (not doses or any(abs(cell.dose - d) <= 1e-9 * d for d in doses))
        and (not views or cell.view in views)
        and (not methods or cell.method in methods or cell.label in methods)
        and (not gridsizes or (cell.uses_pinn and cell.gridsize in gridsizes))
    )


def select_cells(
    study: Study,
    *,
    doses: Sequence[float] = (),
    views: Sequence[str] = (),
    methods: Sequence[str] = (),
    gridsizes: Sequence[int] = (),
) -> list[Cell]:
    """Cells matching every given filter (an empty filter matches all); no match is an error.

    ``methods`` accepts method names (``pinn``, ``lsqml``, ``pinn+epie``) or labels
    (``pinn_gs2``, ``pinn_gs2+epie``); a ``gridsizes`` filter selects PINN cells and their
    refinements only, so combined with a baseline method it is an error (it would drop it).
    """
    baselines = [m for m in methods if m in BASELINES]
    if gridsizes and baselines:
        raise StudyError(
            f"gridsizes: {list(gridsizes)} selects PINN cells and their refinements only, and "
            f"{baselines} have no gridsize, so none of their cells would run; select "
            f"{'/'.join(baselines)} without a gridsize filter (e.g. in a separate run)"
        )
    cells = [c for c in iter_cells(study) if _matches(c, doses, views, methods, gridsizes)]
    if not cells:
        raise StudyError(
            "the filter matches no cell of the study: "
            f"doses={list(doses) or 'all'} views={list(views) or 'all'} "
            f"methods={list(methods) or 'all'} gridsizes={list(gridsizes) or 'all'}; the study has "
            f"doses {study.doses}, views {list(study.views)}, methods {study.methods}"
            + (f" ({'/'.join(BASELINES)} carry gridsize 1)" if gridsizes else "")
        )
    return cells
