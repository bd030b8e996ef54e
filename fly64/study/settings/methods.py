"""The method names a study compares (the ``methods`` setting's choices): the PINN, the
iterative baselines (flat start) and the PINN-initialised refinements.
"""

import enum

from fly64.baseline import ALGORITHMS


class Method(enum.StrEnum):
    """A method of the study; each member is the string the ``methods`` setting holds
    (``Method.PINN == "pinn"``)."""

    PINN = "pinn"
    LSQML = "lsqml"
    LSQML_TV = "lsqml_tv"
    EPIE = "epie"
    RPIE = "rpie"
    PINN_LSQML = "pinn+lsqml"
    PINN_EPIE = "pinn+epie"


#: solvers the study also runs with the object's total-variation constraint (``<solver>_tv``,
#: weight ``baseline_tv_weight``)
TV_SOLVERS = ("lsqml",)
#: the iterative baselines (flat start): each of pty-chi's solvers
#: (:data:`fly64.baseline.ALGORITHMS`), each followed by its TV-constrained variant
BASELINES = tuple(
    Method(name)
    for solver in ALGORITHMS
    for name in (solver, *([f"{solver}_tv"] if solver in TV_SOLVERS else []))
)
#: PINN-initialised refinements: ``pinn+<solver>`` starts the solver from the trained PINN's
#: stitched test reconstruction (label ``pinn_gs<g>+<solver>``)
REFINEMENTS = (Method.PINN_LSQML, Method.PINN_EPIE)
METHODS = (Method.PINN, *BASELINES, *REFINEMENTS)
#: what a refinement's name starts with, before its solver
REFINEMENT_PREFIX = f"{Method.PINN}+"
