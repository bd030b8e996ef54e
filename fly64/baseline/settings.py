"""Settings of one iterative reconstruction: each field's default and doc (``metadata["doc"]``)
are defined here only; the study composes the fields it lets a user set."""

from dataclasses import asdict, dataclass, field

#: pty-chi reconstructors this wrapper drives, by study method name
ALGORITHMS = ("lsqml", "epie", "rpie")


@dataclass(frozen=True)
class SolverSettings:
    """How pty-chi runs on one cell's data.

    The object starts from ones (or a given estimate), positions stay fixed and LSQML uses
    the Poisson noise model with compact mini-batches and momentum 0.5 (ePIE / rPIE have no
    noise model: they project measured amplitudes; pty-chi's defaults otherwise). The solver
    stops by the held-out rule (:mod:`fly64.baseline.holdout`) and keeps the object of its
    best held-out epoch. The study sets the fields it names ``baseline_<name>``, the cell
    ``algorithm`` and ``seed``, the machine ``device``.
    """

    algorithm: str = field(
        default="lsqml", metadata={"doc": f"Reconstructor, one of {ALGORITHMS}."}
    )
    epochs: int = field(
        default=100,
        metadata={
            "doc": "Most iterative solver epochs (passes over every position); the held-out "
            "rule usually stops sooner."
        },
    )
    holdout_fraction: float = field(
        default=0.05,
        metadata={
            "doc": "Share of detector pixels (one seeded random mask, the same in every "
            "pattern) left out of the iterative fit; the latest epoch whose object predicts "
            "their counts within one standard error of the best (Poisson NLL at the best "
            "global scale) is kept, and that NLL picks the best iterative method of a cell "
            "(fly64.baseline.holdout). 0 = no rule: run every epoch, keep the last."
        },
    )
    stop_patience: int = field(
        default=10,
        metadata={
            "doc": "Iterative solver epochs past the kept one (none within one standard error "
            "of the lowest held-out NLL) before it stops."
        },
    )
    tv_weight: float = field(
        default=0.0,
        metadata={"doc": "Weight of pty-chi's total-variation constraint on the object (0 = off)."},
    )
    batch_size: int = field(
        default=32, metadata={"doc": "Iterative solver batch size, positions per update."}
    )
    chunk: int = field(
        default=5,
        metadata={"doc": "Iterative solver epochs per chunk (a progress event and cancel point)."},
    )
    snapshot_every: int = field(
        default=5, metadata={"doc": "Iterative solver chunks between snapshots of the object."}
    )
    damping: float = field(
        default=0.001,
        metadata={
            "doc": "LSQML's preconditioner damping: the object update is divided by "
            "√(p² + (damping·max p)²), p the summed probe intensity. pty-chi's default 0.1 "
            "stalls the weakly lit parts of the scan; noise-free quick sanity case (73 "
            "positions): phase SSIM 0.84 after 300 epochs and 0.91 after 900 with 0.001, "
            "against 0.75 after 300 with 0.1."
        },
    )
    free_probe: bool = field(
        default=False,
        metadata={"doc": "Let the solver refine the probe (default: known, photon-scaled, fixed)."},
    )
    seed: int = field(
        default=0,
        metadata={
            "doc": "Seed of pty-chi's mini-batch order (pty-chi re-seeds torch, numpy and "
            "random with it)."
        },
    )
    device: str = field(default="cpu", metadata={"doc": "``cpu`` or ``cuda``."})

    def __post_init__(self):
        if self.algorithm not in ALGORITHMS:
            raise ValueError(
                f"algorithm {self.algorithm!r} unknown; choose from {list(ALGORITHMS)}"
            )
        for name in ("epochs", "batch_size", "chunk", "snapshot_every", "stop_patience"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        if not 0 <= self.holdout_fraction <= 0.5:
            raise ValueError(f"holdout_fraction must lie in [0, 0.5], got {self.holdout_fraction}")
        if self.tv_weight < 0:
            raise ValueError(f"tv_weight must be ≥ 0, got {self.tv_weight}")
        if not 0 <= self.damping <= 1:
            raise ValueError(f"damping must lie in [0, 1], got {self.damping}")
        if self.device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {self.device!r}")

    def to_dict(self) -> dict:
        return asdict(self)
