"""The physics-informed network: :class:`PatchNet` followed by the :class:`ForwardModel`."""

import io
from pathlib import Path

import torch
from torch import nn

from fly64.data.atomic import write_bytes_atomic
from fly64.models.network import AMPLITUDE_MAX, PatchNet
from fly64.models.physics import ForwardModel


class PINN(nn.Module):
    """Amplitudes of a group → (expected counts, object windows), both (B, C, N, N).

    Parameters
    ----------
    probe : complex64 (N, N), the dataset's photon-scaled probe.
    gridsize : group side; C = gridsize² patterns per input.
    width, depth : size of the :class:`PatchNet`.
    train_probe : refine the probe (default: fixed).
    amp_max : upper bound of the predicted object amplitude.
    network : further keyword options of :class:`PatchNet` (``precision``,
        ``channels_last``); their defaults are the study's.
    """

    def __init__(
        self,
        probe: torch.Tensor,
        gridsize: int,
        width: int,
        depth: int,
        train_probe: bool = False,
        amp_max: float = AMPLITUDE_MAX,
        **network,
    ):
        super().__init__()
        self.net = PatchNet(gridsize**2, width, depth, probe=probe, amp_max=amp_max, **network)
        self.physics = ForwardModel(probe, trainable=train_probe)

    def forward(
        self, amplitudes: torch.Tensor, offsets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Expected counts (photons) and object windows from normalised amplitudes.

        ``offsets`` (B, C, 2) int64 are the members' (y, x) positions relative to the anchor.
        """
        return self.physics(self.net(amplitudes, offsets))  # windows cut from one object

    @property
    def probe(self) -> torch.Tensor:
        return self.physics.probe


def save_checkpoint(model: nn.Module, path: Path) -> None:
    """Write the model's state dict (tensors only) atomically with ``torch.save``."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    write_bytes_atomic(Path(path), buffer.getvalue())


def load_checkpoint(model: nn.Module, path: Path) -> nn.Module:
    """Load a state dict written by :func:`save_checkpoint` into ``model`` (weights only)."""
    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model
