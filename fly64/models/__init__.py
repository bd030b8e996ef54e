"""The physics-informed network (PINN): network, physics layer, loss, training, stitching,
health.
"""

from fly64.models.data import GroupSet, PatternReader, amplitude_scale, anchored_groups, flat_field
from fly64.models.loss import amplitude_mae, poisson_floor, poisson_nll
from fly64.models.network import PatchNet
from fly64.models.physics import ForwardModel, reassemble
from fly64.models.pinn import PINN, load_checkpoint, save_checkpoint
from fly64.models.stitch import STITCHING, predict_windows, stitch, synchronise_levels
from fly64.models.train import FitResult, TrainOptions, fit, noise_floor_ratio, split_validation

__all__ = [
    "FitResult",
    "ForwardModel",
    "GroupSet",
    "PINN",
    "PatchNet",
    "PatternReader",
    "TrainOptions",
    "amplitude_mae",
    "amplitude_scale",
    "anchored_groups",
    "fit",
    "flat_field",
    "load_checkpoint",
    "noise_floor_ratio",
    "poisson_floor",
    "poisson_nll",
    "predict_windows",
    "reassemble",
    "save_checkpoint",
    "split_validation",
    "stitch",
    "synchronise_levels",
    "STITCHING",
]
