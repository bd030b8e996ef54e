"""Where tensors live: CUDA when present, CPU otherwise (no code change needed)."""

import torch


def default_device() -> torch.device:
    """The first CUDA device if one is available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
