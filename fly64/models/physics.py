"""The PINN's differentiable physics layer: object windows → expected counts.

A group of C patterns has C object windows (B, C, N, N). The network's windows are cut
from one object, so they already agree where they overlap. Patches from elsewhere (e.g.
free pixels fitted per member), each zero outside its central N/2 × N/2 support, are first
made consistent when their offsets are given (:func:`reassemble`): each is placed on a
shared canvas at its member's integer offset, every canvas pixel takes the mean of the
supports covering it, and every member's N×N window is cut back out (the overlap
constraint inside a group). Each window is then multiplied by the probe and propagated
exactly like the simulation (:func:`fly64.physics.far_field`, i.e.
``fftshift(fft2(·, norm="ortho"))``); |·|² are the expected counts, in photons, because the
probe is the dataset's photon-scaled probe.
"""

import torch
from torch import nn

from fly64.models.network import support_mask
from fly64.physics import far_field


def reassemble(
    patches: torch.Tensor, offsets: torch.Tensor, support: torch.Tensor | None = None
) -> torch.Tensor:
    """Average a group's patches where their supports overlap and cut each member's window back out.

    Parameters
    ----------
    patches : complex (B, C, N, N), member c's window centred at its position.
    offsets : int64 (B, C, 2), (y, x) position of each member in object pixels, relative to
        any common origin (e.g. the group's anchor); only differences matter.
    support : float (N, N), where a patch holds object values (0 elsewhere: it does not
        vote there); default the whole window.

    Returns
    -------
    windows : complex (B, C, N, N); a pixel no support covers is 0, and a patch whose
    support overlaps no other comes back unchanged there.
    """
    batch, members, size = patches.shape[0], patches.shape[1], patches.shape[-1]
    if offsets.shape != (batch, members, 2):
        raise ValueError(
            f"offsets must have shape (batch, members, 2) = {(batch, members, 2)}, "
            f"got {tuple(offsets.shape)}"
        )
    corner = offsets - offsets.min(dim=1, keepdim=True).values  # ≥ 0, top-left of each window
    side = int(corner.max()) + size
    pixels = torch.arange(size, device=patches.device)
    rows = corner[..., 0, None, None] + pixels[:, None]  # (B, C, N, 1)
    cols = corner[..., 1, None, None] + pixels[None, :]  # (B, C, 1, N)
    first = torch.arange(batch, device=patches.device)[:, None, None, None] * side * side
    flat = (first + rows * side + cols).reshape(-1)  # canvas pixel of every patch pixel
    votes = (
        torch.ones(size, size, device=patches.device)
        if support is None
        else support.to(patches.real)
    )
    votes = votes.expand(patches.shape).reshape(-1)
    values = torch.view_as_real(patches).reshape(-1, 2)
    canvas = values.new_zeros(batch * side * side, 2).index_add(0, flat, values * votes[:, None])
    hits = values.new_zeros(batch * side * side).index_add(0, flat, votes)
    mean = canvas / hits.clamp(min=1)[:, None]
    return torch.view_as_complex(mean.index_select(0, flat).reshape(*patches.shape, 2))


class ForwardModel(nn.Module):
    """Object windows (B, C, N, N) complex → expected counts (B, C, N, N) float, photons.

    Parameters
    ----------
    probe : complex64 (N, N), the dataset's photon-scaled probe (expected counts =
        |fftshift(fft2(probe·O[window], ortho))|²).
    trainable : refine the probe during training (default: known and fixed, a buffer).
    """

    def __init__(self, probe: torch.Tensor, trainable: bool = False):
        super().__init__()
        probe = torch.as_tensor(probe, dtype=torch.complex64).clone()
        if probe.ndim != 2 or probe.shape[0] != probe.shape[1]:
            raise ValueError(f"probe must be square (N, N), got shape {tuple(probe.shape)}")
        if trainable:
            self.probe = nn.Parameter(probe)
        else:
            self.register_buffer("probe", probe)
        self.register_buffer("support", support_mask(probe.shape[-1]), persistent=False)

    def forward(
        self, patches: torch.Tensor, offsets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Expected counts and the (group-consistent) object windows they were made from.

        With ``offsets`` (B, C, 2) int64 (y, x) member positions, the patches are averaged
        where their supports overlap first (:func:`reassemble`); without, they are taken as
        windows that already agree (:class:`~fly64.models.network.PatchNet`'s).
        """
        windows = patches
        if offsets is not None and patches.shape[1] > 1:
            windows = reassemble(patches, offsets, self.support)
        field = far_field(self.probe * windows)
        return (field * field.conj()).real, windows  # |field|², cheapest with its gradient
