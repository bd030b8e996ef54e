"""Study layer: the param study model, grid cells, the stages, jobs, executors and the CLI."""

from fly64.study.settings.cells import Cell, iter_cells, select_cells
from fly64.study.settings.model import PRESETS, Study, StudyError

__all__ = ["PRESETS", "Cell", "Study", "StudyError", "iter_cells", "select_cells"]
