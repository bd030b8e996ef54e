"""The method names a study compares (the ``methods`` setting's choices): the PINN, the
iterative baselines (flat start) and the PINN-initialised refinements.
"""

#: the iterative baselines (flat start): pty-chi's solvers, ``lsqml_tv`` = LSQML with the
#: object's total-variation constraint (weight ``baseline_tv_weight``)
BASELINES = ("lsqml", "lsqml_tv", "epie", "rpie")
#: PINN-initialised refinements: ``pinn+<solver>`` starts the solver from the trained PINN's
#: stitched test reconstruction (label ``pinn_gs<g>+<solver>``)
REFINEMENTS = ("pinn+lsqml", "pinn+epie")
METHODS = ("pinn", *BASELINES, *REFINEMENTS)
