"""Metrics: register a reconstruction onto the ground truth and score amplitude and phase.

Imports only numpy, scipy and scikit-image. Entry point: :func:`evaluate`.
"""

from fly64.metrics.align import register, remove_phase_offset, scale_amplitude
from fly64.metrics.evaluate import (
    METRICS,
    PARTS,
    Evaluation,
    PartScores,
    evaluate,
    evaluation_mask,
)
from fly64.metrics.frc import (
    FRC_HALF,
    PERIOD_BANDS,
    frc,
    frc_bands,
    frc_resolution,
    half_bit_threshold,
)
from fly64.metrics.limit import (
    ShotNoiseLimit,
    phase_bound,
    photons_per_pixel,
    shot_noise_limit,
)
from fly64.metrics.local import footprint_core, local_correlation
from fly64.metrics.similarity import correlation, ms_ssim, ms_ssim_scales, ssim

__all__ = [
    "FRC_HALF",
    "METRICS",
    "PARTS",
    "PERIOD_BANDS",
    "Evaluation",
    "PartScores",
    "ShotNoiseLimit",
    "correlation",
    "evaluate",
    "evaluation_mask",
    "footprint_core",
    "frc",
    "frc_bands",
    "frc_resolution",
    "half_bit_threshold",
    "local_correlation",
    "phase_bound",
    "photons_per_pixel",
    "ms_ssim",
    "ms_ssim_scales",
    "register",
    "remove_phase_offset",
    "scale_amplitude",
    "shot_noise_limit",
    "ssim",
]
