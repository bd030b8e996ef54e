"""The tiny study the reliability tests damage: one dose, one view, a PINN and a baseline cell.

Simulate and overlap run for real; train, reconstruct and compare are the fast stand-ins of
``tests/study/jobkinds.py``. ``conftest.py`` makes one finished store; each test damages its own
copy.
"""

from fly64.study.model import Study
from fly64.study.runner import StudyRunner

STUDY = Study.preset(
    "quick",
    patch_size=16,
    object_size=160,
    scan_step=4.0,
    spacing_basis="window",
    doses=[1e3],
    views={"dense": 0.7},
    gridsizes=[1],
)
FAKES = {
    "train": "tests.study.jobkinds:cell_job",
    "reconstruct": "tests.study.jobkinds:cell_job",
    "compare": "tests.study.jobkinds:compare_job",
}
CELLS = ("train-d1e3-dense-pinn_gs1-s0", "reconstruct-d1e3-dense-lsqml-s0")


def run_grid(root, study=STUDY, force=False):
    """Bring the grid up to date with the stand-in jobs; the statuses of the jobs it ran."""
    with StudyRunner(root, study, workers=2, entries=FAKES, force=force) as runner:
        ids = runner.submit_grid()
        return {s.job_id: s for s in runner.wait(ids, timeout=120)}
