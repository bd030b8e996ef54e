"""What made a result: package versions and the code version, for manifests."""

import platform
import subprocess
from functools import cache
from importlib import metadata
from pathlib import Path

import fly64

#: the distributions whose versions manifests and the HTML report record
PACKAGES = (
    "fly64",
    "torch",
    "numpy",
    "scipy",
    "scikit-image",
    "xarray",
    "zarr",
    "ptychi",
    "matplotlib",
    "panel",
)


@cache
def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape results (``"absent"`` when missing)."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


@cache
def code_version() -> str:
    """The git commit of the fly64 checkout (with ``+dirty`` when modified), else the version."""
    root = Path(fly64.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "describe", "--always", "--dirty=+dirty"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return commit or fly64.__version__
