"""How long computations report progress and learn they should stop.

Every layer may import this module (it imports nothing of fly64). Stages take a
:class:`Reporter`; the job runner passes one that writes the job directory, a notebook
may pass one that plots, and the default does nothing.
"""


class Cancelled(Exception):
    """Raised inside a computation when its reporter says it was cancelled."""


class Reporter:
    """Receives progress, events and snapshots; says when to stop. The base class ignores all."""

    def progress(self, fraction: float, message: str = "") -> None:
        """Overall progress in [0, 1] with a short human-readable message."""

    def event(self, kind: str, **row) -> None:
        """An append-only record, e.g. ``event("loss", epoch=3, train=0.5, validation=0.6)``."""

    def snapshot(self, **arrays) -> None:
        """The latest intermediate result, e.g. ``snapshot(object=..., weights=...)``."""

    def cancelled(self) -> bool:
        """True once the computation should stop at its next safe point."""
        return False

    def check_cancel(self) -> None:
        """Raise :class:`Cancelled` when :meth:`cancelled` is true (call between batches)."""
        if self.cancelled():
            raise Cancelled("cancelled on request")
