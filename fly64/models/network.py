"""The PINN's network: a group's diffraction amplitudes → one object on the group's canvas → member
windows.

Physics first, learning second. Each pattern's **contrast** against the flat field (the
training set's mean amplitude: what a featureless object gives) is back-propagated through
the known probe (:class:`BackPropagation`: a fixed layer without parameters, the first
update of an iterative solver from a flat object, i.e. an in-line hologram of the object on
the probe's support). The C = gridsize² members' estimates are placed at their offsets on
the group's canvas, so the network sees every member where it lies, and a compact U-Net
maps them to **one** complex object on that canvas: the members' windows, cut back out of
it, agree wherever they overlap (the physics layer has nothing to average). As in
PtychoPINN, the object is predicted only on each member's central N/2 × N/2 **support**,
where the probe lives (the regime puts ≥ 99 % of |P|² there), and is zero where no
member's support lies. The photon scale of the counts comes from the physics
layer's photon-scaled probe, never from the network.

Measured against the diffraction-space U-Net this replaced (dense 1e5, gridsize 1, 1,056
training groups, 10 epochs): phase correlation 0.17 → 0.69 in half the time
(``notes/science_v2.md``).
"""

import functools
import math

import torch
from torch import nn

from fly64.physics import far_field

#: default upper bound of the predicted amplitude (the transmission of the object)
AMPLITUDE_MAX = 2.0
#: standard deviation of the head's initial weights (near-flat initial object)
HEAD_INIT_STD = 1e-3
#: Tikhonov weight of the division by the probe in :class:`BackPropagation`, × max |P|²
BACKPROPAGATION_REGULARISATION = 0.3
#: the U-Net's compute precisions (:class:`PatchNet` ``precision``); ``auto``: bfloat16 where
#: the device computes it natively (:func:`native_bfloat16`), float32 elsewhere
PRECISIONS = ("auto", "bfloat16", "float32")


@functools.cache
def native_bfloat16(device_type: str) -> bool:
    """Whether a ``torch.device`` type ("cpu", "cuda") runs bfloat16 convolutions natively
    (a CPU with AVX512-BF16 or AMX through oneDNN; a CUDA GPU with bfloat16); elsewhere they
    would be emulated, slower than float32."""
    if device_type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device_type == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def support_slice(size: int) -> slice:
    """Rows (and columns) of the central N/2 × N/2 support of an N × N window."""
    return slice(size // 4, size // 4 + size // 2)


def support_mask(size: int) -> torch.Tensor:
    """float32 (N, N): 1 inside the central N/2 × N/2 support, 0 outside."""
    mask = torch.zeros(size, size)
    inside = support_slice(size)
    mask[inside, inside] = 1.0
    return mask


class BackPropagation(nn.Module):
    """Contrast in the detector plane (B, C, N, N) → complex object estimate on the support
    (B, C, N/2, N/2).

    The contrast (amplitude − flat field, in units of its spread) is given the phase of the
    probe's far field, propagated back (the inverse of :func:`fly64.physics.far_field`) and
    divided by the probe, regularised: ``ψ·P* · max|P| / (|P|² + r·max|P|²)``, with
    r = :data:`BACKPROPAGATION_REGULARISATION`. For a weak object this holds half its phase
    (imaginary part) and amplitude (real part) plus a twin image blurred by twice the
    probe's defocus: the network's job is to clean it up. Fixed: no parameters.

    Parameters
    ----------
    probe : complex (N, N), any scale (only its shape and phase enter).
    """

    def __init__(self, probe: torch.Tensor):
        super().__init__()
        probe = torch.as_tensor(probe, dtype=torch.complex64)
        spectrum = far_field(probe)
        peak = probe.abs().max()
        self.register_buffer("far_phase", spectrum / spectrum.abs().clamp(min=1e-12))
        inverse = (
            probe.conj() * peak / (probe.abs().square() + BACKPROPAGATION_REGULARISATION * peak**2)
        )
        inside = support_slice(probe.shape[-1])
        self.register_buffer("inverse", inverse[inside, inside])

    def forward(self, contrast: torch.Tensor) -> torch.Tensor:
        field = torch.fft.ifftshift(contrast * self.far_phase, dim=(-2, -1))
        inside = support_slice(contrast.shape[-1])
        return torch.fft.ifft2(field, norm="ortho")[..., inside, inside] * self.inverse


def canvas_pixels(corners: torch.Tensor, block: int, shape: tuple[int, int]) -> torch.Tensor:
    """Flat pixel indices (B, C, block, block) of member c's block × block square, top-left at
    ``corners`` (B, C, 2), in a batch of B canvases of ``shape`` (H, W), row-major."""
    height, width = shape
    batch = corners.shape[0]
    pixels = torch.arange(block, device=corners.device)
    rows = corners[..., 0, None, None] + pixels[:, None]
    cols = corners[..., 1, None, None] + pixels[None, :]
    first = torch.arange(batch, device=corners.device).reshape(batch, 1, 1, 1) * height * width
    return first + rows * width + cols


class ChannelsLastGradient(torch.autograd.Function):
    """Identity whose backward hands its gradient on channels-last and dense.

    The gradient of one input of ``torch.cat`` along channels is a strided slice; the
    bilinear upsampling's backward copies such a gradient to NCHW and takes its slow path
    there (≈ 5 ms of a 65 ms gridsize-2 step, ``notes/pinn_speed.md``).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad.contiguous(memory_format=torch.channels_last)


def _conv_block(c_in: int, c_out: int) -> nn.Sequential:
    """Two 3×3 convolutions with GELU, resolution kept."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1),
        nn.GELU(),
        nn.Conv2d(c_out, c_out, 3, padding=1),
        nn.GELU(),
    )


class PatchNet(nn.Module):
    """Normalised diffraction amplitudes (B, C, N, N) → complex object windows (B, C, N, N).

    1. Contrast ``(a − reference)·gain`` against the flat field (:meth:`set_flat_field`).
    2. :class:`BackPropagation` → each member's estimate on its N/2 × N/2 support.
    3. The group's canvas: member c's support placed with its top-left corner at its offset
       minus the group's smallest (y, x); the canvas is H × W, N/2 plus the batch's largest
       spread of offsets along y and along x, each rounded up to a multiple of 2^depth
       (N/2 × N/2 for gridsize 1). Three planes per member: real and imaginary estimate,
       and where it lies (1 on its support).
    4. A U-Net on the canvas: ``depth`` levels of conv blocks (two 3×3 convolutions, GELU)
       with ``width·2^level`` channels and 2×2 average pooling, a bottleneck, bilinear
       upsampling with skip connections back to full resolution; a 3×3 head with two channels
       gives one object: amplitude ``amp_max·sigmoid(h₀)`` in (0, amp_max), phase
       ``π·tanh(h₁)`` in (−π, π).
    5. The object, zero where no member's support lies, cut out on each member's N × N
       window: the windows agree wherever they overlap (for gridsize 1: the support,
       zero-padded to N × N).

    The U-Net below the head computes in bfloat16 (autocast; its weights stay float32) as
    ``precision`` says, on ``channels_last`` tensors (the layout oneDNN's convolutions run
    fastest in on CPU); the back-propagation, the head and everything after them run in
    float32. Both are speed settings, measured in ``notes/pinn_speed.md`` (gridsize 2,
    dense: the same score in half the time).

    Initialisation: He-normal convolutions (the input's imprint survives the stack); the
    head starts with tiny weights and zero bias, so training starts from a nearly flat
    object (amplitude amp_max/2, phase 0), like an iterative solver's neutral start.

    Parameters
    ----------
    channels : C, patterns per group (1 for gridsize 1, 4 for gridsize 2).
    width : channels of the first U-Net level.
    depth : U-Net levels; N/2 must be divisible by 2^depth.
    probe : complex (N, N), the probe the back-propagation divides by (its scale is free).
    amp_max : upper bound of the amplitude head.
    precision : one of :data:`PRECISIONS`, the U-Net's compute precision.
    channels_last : hand the canvas to the U-Net in (B, H, W, channels) memory layout.
    """

    def __init__(
        self,
        channels: int,
        width: int,
        depth: int,
        *,
        probe: torch.Tensor,
        amp_max: float = AMPLITUDE_MAX,
        precision: str = "auto",
        channels_last: bool = True,
    ):
        super().__init__()
        if channels < 1 or width < 1 or depth < 1:
            raise ValueError(
                f"PatchNet needs channels, width and depth ≥ 1, got {channels}, {width}, {depth}"
            )
        size = probe.shape[-1]
        if size % 2 ** (depth + 1):
            raise ValueError(
                f"window side N = {size} px: N/2 must be divisible by 2^depth = {2**depth} "
                f"(N a multiple of {2 ** (depth + 1)})"
            )
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        self.channels, self.depth, self.amp_max = channels, depth, float(amp_max)
        self.precision, self.channels_last = precision, channels_last
        self.register_buffer("reference", torch.zeros(size, size))
        self.register_buffer("gain", torch.ones(()))
        self.backpropagation = BackPropagation(probe)
        widths = [width * 2**level for level in range(depth + 1)]
        self.encoder = nn.ModuleList(
            _conv_block(c_in, c_out)
            for c_in, c_out in zip([3 * channels] + widths[:-2], widths[:-1], strict=True)
        )
        self.bottleneck = _conv_block(widths[-2], widths[-1])
        self.decoder = nn.ModuleList(
            _conv_block(widths[level + 1] + widths[level], widths[level])
            for level in reversed(range(depth))
        )
        self.pool = nn.AvgPool2d(2)
        self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.head = nn.Conv2d(width, 2, 3, padding=1)  # one conv: 2 × 1 channel costs twice
        for module in self.modules():  # He init keeps the signal's scale through the stack
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)
        nn.init.normal_(self.head.weight, std=HEAD_INIT_STD)  # start from a flat object
        nn.init.zeros_(self.head.bias)

    def set_flat_field(self, reference: torch.Tensor, gain: float) -> None:
        """The flat field (N, N) (mean normalised amplitude of the training patterns) and the
        contrast gain (1 / std of amplitude − reference over them): data only, no ground truth."""
        self.reference.copy_(torch.as_tensor(reference, dtype=torch.float32))
        self.gain.fill_(float(gain))

    def canvas(self, estimate: torch.Tensor, pixels: torch.Tensor, shape: tuple[int, int]):
        """The U-Net's input (B, 3C, H, W) float32: the members' estimates (B, C, N/2, N/2)
        complex placed at their ``pixels`` (:func:`canvas_pixels`), planes real, imaginary,
        support; stored (B, H, W, 3, C), i.e. channels-last, filled by one ``index_put``."""
        batch, members = estimate.shape[:2]
        planes = torch.arange(3, device=pixels.device) * members
        member = torch.arange(members, device=pixels.device).reshape(1, members, 1, 1)
        where = ((pixels * 3 * members + member)[..., None] + planes).reshape(-1)
        values = torch.stack([estimate.real, estimate.imag, torch.ones_like(estimate.real)], -1)
        flat = values.new_zeros(batch * shape[0] * shape[1] * 3 * members)
        flat = flat.index_put((where,), values.reshape(-1))
        x = flat.reshape(batch, *shape, 3 * members).permute(0, 3, 1, 2)
        return x if self.channels_last else x.contiguous()

    def bfloat16(self, device: torch.device) -> bool:
        """Whether the U-Net computes in bfloat16 on ``device`` (``precision`` resolved)."""
        if self.precision == "auto":
            return native_bfloat16(device.type)
        return self.precision == "bfloat16"

    def unet(self, x: torch.Tensor) -> torch.Tensor:
        """The U-Net below the head: (B, 3C, H, W) → float32 features (B, width, H, W)."""
        with torch.autocast(x.device.type, torch.bfloat16, enabled=self.bfloat16(x.device)):
            skips = []
            for level in self.encoder:
                skips.append(level(x))
                x = self.pool(skips[-1])
            x = self.bottleneck(x)
            for level, skip in zip(self.decoder, reversed(skips), strict=True):
                x = self.up(x)
                if self.channels_last:
                    x = ChannelsLastGradient.apply(x)
                x = level(torch.cat([x, skip], dim=1))
        return x.float()

    def forward(
        self, amplitudes: torch.Tensor, offsets: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Complex64 windows (B, C, N, N), zero where no member's support lies, from normalised
        amplitudes (B, C, N, N) and, for C > 1, the members' (y, x) offsets (B, C, 2) in
        pixels."""
        size = self.reference.shape[-1]
        if amplitudes.ndim != 4 or amplitudes.shape[1:] != (self.channels, size, size):
            raise ValueError(
                f"PatchNet expects amplitudes of shape (batch, {self.channels}, N, N) with "
                f"N = {size}, got {tuple(amplitudes.shape)}"
            )
        batch, members, block = amplitudes.shape[0], self.channels, size // 2
        if members > 1 and offsets is None:
            raise ValueError("groups of more than one pattern need their members' offsets")
        if offsets is None:
            offsets = torch.zeros(batch, 1, 2, dtype=torch.int64, device=amplitudes.device)
        corners = offsets - offsets.min(dim=1, keepdim=True).values
        step = 2**self.depth
        shape = tuple(-(-(block + int(extent)) // step) * step for extent in corners.amax((0, 1)))
        pixels = canvas_pixels(corners, block, shape)
        estimate = self.backpropagation((amplitudes - self.reference) * self.gain)
        head = self.head(self.unet(self.canvas(estimate, pixels, shape)))
        amplitude = self.amp_max * torch.sigmoid(head[:, 0])
        phase = math.pi * torch.tanh(head[:, 1])
        covered = amplitude.new_zeros(batch * shape[0] * shape[1])
        covered = covered.index_fill(0, pixels.reshape(-1), 1).reshape(batch, *shape)
        pad = size // 4  # a window reaches N/4 beyond its support on every side
        obj = nn.functional.pad(torch.polar(amplitude, phase) * covered, (pad,) * 4)
        windows = canvas_pixels(corners, size, obj.shape[-2:]).reshape(-1)
        values = torch.view_as_real(obj).reshape(-1, 2).index_select(0, windows)
        return torch.view_as_complex(values.reshape(batch, members, size, size, 2))
