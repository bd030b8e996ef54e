"""The experiment's geometry, for files other tools read: photon energy, detector distance and
pixel size give the object pixel size, and with it positions in metres.

fly64 itself works in pixels (``docs/architecture.md#conventions``); the geometry only labels
exported files. Far field: an N × N detector of pixel p at distance z sees object pixels of
λ·z / (N·p), λ = h·c / E.
"""

from dataclasses import dataclass

import numpy as np

#: h·c in eV·m (CODATA 2018, exact), so λ[m] = HC_EV_M / E[eV]
HC_EV_M = 6.62607015e-34 * 299792458 / 1.602176634e-19
#: one electron-volt in joules (CXI stores the photon energy in J)
EV_J = 1.602176634e-19


@dataclass(frozen=True)
class Geometry:
    """A far-field ptychography set-up.

    photon_energy_ev : photon energy, eV.
    detector_distance_m : sample-to-detector distance, m.
    detector_pixel_m : detector pixel side, m (square pixels).
    """

    photon_energy_ev: float
    detector_distance_m: float
    detector_pixel_m: float

    @property
    def wavelength_m(self) -> float:
        """λ = h·c / E, m."""
        return HC_EV_M / self.photon_energy_ev

    def object_pixel_m(self, n: int) -> float:
        """Object pixel side λ·z / (N·p), m, for an N-pixel detector window."""
        return self.wavelength_m * self.detector_distance_m / (n * self.detector_pixel_m)

    def positions_m(self, positions: np.ndarray, object_shape: tuple[int, int], n: int):
        """(x, y) in metres of (y, x) window centres in object pixels, float64 (m,) each.

        The origin is the object's centre, pixel ((W − 1)/2, (H − 1)/2), as Ptychodus maps
        probe positions onto an object centred at (0, 0).
        """
        pixel = self.object_pixel_m(n)
        positions = np.asarray(positions, np.float64)
        x = (positions[:, 1] - (object_shape[1] - 1) / 2) * pixel
        y = (positions[:, 0] - (object_shape[0] - 1) / 2) * pixel
        return x, y
