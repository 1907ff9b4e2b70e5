"""Array and callback aliases shared by the flow modules."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Called with the fraction of a run done (0 to 1).
Progress = Callable[[float], None]
