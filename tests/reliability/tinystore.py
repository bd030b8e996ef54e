"""The tiny study the reliability tests damage: one dose, one view, a PINN and a baseline cell.

Simulate and overlap run for real; train, reconstruct and compare are the fast stand-ins of
``tests/study/jobkinds.py``. ``conftest.py`` makes one finished store; each test damages its own
copy.
"""

from fly64.study.execution.runner import StudyRunner
from tests.study.jobkinds import FAKES, tiny_study

STUDY = tiny_study(views={"dense": 0.7})
CELLS = ("train-d1e3-dense-pinn_gs1-s0", "reconstruct-d1e3-dense-lsqml-s0")


def run_grid(root, study=STUDY, force=False):
    """Bring the grid up to date with the stand-in jobs; the statuses of the jobs it ran."""
    with StudyRunner(root, study, workers=2, entries=FAKES, force=force) as runner:
        ids = runner.submit_grid()
        return {s.job_id: s for s in runner.wait(ids, timeout=120)}
