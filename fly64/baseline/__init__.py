"""Iterative baseline (the reconstruct stage): pty-chi's LSQML / ePIE / rPIE on one cell's patterns.

:func:`fly64.baseline.solver.reconstruct` is the entry point; it and the pty-chi task it
builds (:mod:`fly64.baseline.ptychi_task`) live in modules of their own because importing
pty-chi takes seconds, and pty-chi changes process-wide torch state (run it in a job
process; see :mod:`fly64.baseline.solver`). This package imports only the light parts.
"""

from fly64.baseline.canvas import SolverCanvas
from fly64.baseline.settings import ALGORITHMS, SolverSettings

__all__ = ["ALGORITHMS", "SolverCanvas", "SolverSettings"]
