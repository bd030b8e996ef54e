"""The PINN's network: the diffraction amplitudes of a group → one complex object patch per member.

A compact convolutional encoder–decoder in the style of PtychoPINN. Its input is the C
(= gridsize²) normalised diffraction amplitudes of a group, (B, C, N, N), each also as its
**contrast** against the flat field (the training set's mean amplitude: what a featureless
object gives), and (for C > 1) two constant channels per member holding its (y, x) offset in
the group; its
output is C complex object patches (B, C, N, N) in object pixels. As in PtychoPINN, the
object is predicted only in the window's central N/2 × N/2 **support**, where the probe
lives (the regime puts ≥ 99 % of |P|² there), and is zero outside it: pixels the probe does
not light carry no parameters and no noise into reassembly or stitching. The network
predicts the object's transmission only: the photon scale of the counts comes from the
physics layer's photon-scaled probe, never from the network.
"""

import math

import torch
from torch import nn

#: default upper bound of the predicted amplitude (the transmission of the object)
AMPLITUDE_MAX = 2.0
#: standard deviation of the heads' initial weights (near-flat initial object)
HEAD_INIT_STD = 1e-3
#: member offsets enter the network divided by this many window sides
OFFSET_UNIT = 0.25


def support_slice(size: int) -> slice:
    """Rows (and columns) of the central N/2 × N/2 support of an N × N window."""
    return slice(size // 4, size // 4 + size // 2)


def support_mask(size: int) -> torch.Tensor:
    """float32 (N, N): 1 inside the central N/2 × N/2 support, 0 outside."""
    mask = torch.zeros(size, size)
    inside = support_slice(size)
    mask[inside, inside] = 1.0
    return mask


def _conv_block(c_in: int, c_out: int) -> nn.Sequential:
    """Two 3×3 convolutions with GELU, resolution kept."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1), nn.GELU(),
        nn.Conv2d(c_out, c_out, 3, padding=1), nn.GELU(),
    )


class PatchNet(nn.Module):
    """Diffraction amplitudes (B, C, N, N) float → complex object patches (B, C, N, N).

    A compact U-Net. Encoder: ``depth`` levels, each a conv block (two 3×3 convolutions,
    GELU) with ``width·2^level`` channels followed by 2×2 average pooling, so the bottleneck
    is N/2^depth pixels wide. Decoder: bilinear 2× upsampling and a conv block per level,
    levels below N also fed the encoder's features of their resolution (skip connections),
    back to N/2, where the two heads (3×3 convolutions) predict the N/2 × N/2 support:
    amplitude ``amp_max·sigmoid`` in (0, amp_max) and phase ``π·tanh`` in (−π, π). The
    support is zero-padded to N × N (the object outside the probe's support is 0).
    Each member's amplitude enters twice: as it is, and as its contrast ``(a − reference)·gain``
    against the flat field (:meth:`set_flat_field`; a defocused probe's pattern is a
    bright disc whose small modulations carry the object: the contrast channel hands them
    to the network at unit scale, which speeds up training several-fold). For C > 1, the
    members' offsets (B, C, 2) (y, x pixels from the group's anchor, divided by
    ``OFFSET_UNIT·N``) enter as 2·C constant input channels, so the network knows where
    each member's patch lands on the group's shared canvas.

    Initialisation matters here: He-normal convolutions keep the input's imprint through
    the stack (PyTorch's default init shrinks it so much that the output hardly depends on
    the input for hundreds of steps), and the heads start with tiny weights and zero bias,
    so training starts from a nearly flat object (amplitude amp_max/2, phase 0), like an
    iterative solver's neutral start, rather than from random phase, which can settle on
    the conjugate twin (it fits a single pattern of a centrosymmetric probe equally well).

    Parameters
    ----------
    channels : C, patterns per group (1 for gridsize 1, 4 for gridsize 2).
    width : channels of the first encoder level.
    depth : encoder (and decoder) levels; N must be divisible by 2^depth.
    size : the window side N, pixels.
    amp_max : upper bound of the amplitude head.
    """

    def __init__(self, channels: int, width: int, depth: int, *, size: int, amp_max: float = AMPLITUDE_MAX):
        super().__init__()
        if channels < 1 or width < 1 or depth < 1:
            raise ValueError(
                f"PatchNet needs channels, width and depth ≥ 1, got {channels}, {width}, {depth}"
            )
        self.channels, self.depth, self.amp_max = channels, depth, float(amp_max)
        self.register_buffer("reference", torch.zeros(size, size))
        self.register_buffer("gain", torch.ones(()))
        inputs = 2 * channels if channels == 1 else 4 * channels  # amplitudes, contrasts (, offsets)
        widths = [width * 2**level for level in range(depth + 1)]
        self.encoder = nn.ModuleList(
            _conv_block(c_in, c_out) for c_in, c_out in zip([inputs] + widths[:-2], widths[:-1], strict=True)
        )
        self.bottleneck = _conv_block(widths[-2], widths[-1])
        self.decoder = nn.ModuleList(  # level ≥ 1 also takes the encoder's features (skip)
            _conv_block(widths[level + 1] + (widths[level] if level else 0), widths[level])
            for level in reversed(range(depth))
        )
        self.pool = nn.AvgPool2d(2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.amplitude_head = nn.Conv2d(width, channels, 3, padding=1)
        self.phase_head = nn.Conv2d(width, channels, 3, padding=1)
        for module in self.modules():  # He init keeps the signal's scale through the stack
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)
        for head in (self.amplitude_head, self.phase_head):  # start from a flat object
            nn.init.normal_(head.weight, std=HEAD_INIT_STD)
            nn.init.zeros_(head.bias)

    def set_flat_field(self, reference: torch.Tensor, gain: float) -> None:
        """The flat field (N, N) (mean normalised amplitude of the training patterns) and the
        contrast gain (1 / std of amplitude − reference over them): data only, no ground truth."""
        self.reference.copy_(torch.as_tensor(reference, dtype=torch.float32))
        self.gain.fill_(float(gain))

    def forward(self, amplitudes: torch.Tensor, offsets: torch.Tensor | None = None) -> torch.Tensor:
        """Complex64 patches (B, C, N, N), zero outside the support, from normalised amplitudes
        (B, C, N, N) and, for C > 1, the members' (y, x) offsets (B, C, 2) in pixels."""
        size = amplitudes.shape[-1]
        if amplitudes.ndim != 4 or amplitudes.shape[1] != self.channels:
            raise ValueError(
                f"PatchNet expects amplitudes of shape (batch, {self.channels}, N, N), "
                f"got {tuple(amplitudes.shape)}"
            )
        if size % 2**self.depth or amplitudes.shape[-2] != size:
            raise ValueError(
                f"patch side {size} px must be square and divisible by 2^depth = {2**self.depth}"
            )
        if self.reference.shape != (size, size):
            raise ValueError(f"patch side {size} px differs from the network's N = {self.reference.shape[0]}")
        x = torch.cat([amplitudes, (amplitudes - self.reference) * self.gain], dim=1)
        if self.channels > 1:
            if offsets is None:
                raise ValueError("groups of more than one pattern need their members' offsets")
            planes = (offsets.to(amplitudes.dtype) / (OFFSET_UNIT * size)).flatten(1)  # (B, 2C)
            x = torch.cat([x, planes[..., None, None].expand(-1, -1, size, size)], dim=1)
        skips = []
        for block in self.encoder:
            skips.append(block(x))
            x = self.pool(skips[-1])
        x = self.bottleneck(x)
        for block, skip in zip(self.decoder[:-1], reversed(skips[1:]), strict=True):
            x = block(torch.cat([self.up(x), skip], dim=1))
        x = self.decoder[-1](x)  # (B, width, N/2, N/2): the support
        amplitude = self.amp_max * torch.sigmoid(self.amplitude_head(x))
        phase = math.pi * torch.tanh(self.phase_head(x))
        pad = size // 4
        return nn.functional.pad(torch.polar(amplitude, phase), (pad, size - pad - size // 2) * 2)
