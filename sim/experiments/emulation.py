"""Emulators for history matching: a cheap statistical stand-in for one simulated quantity as a
function of the parameters, with its own error, so that a wave can screen many thousands of
candidate sets and simulate only those that may fit (Vernon, Goldstein & Bower 2010, Bayesian
Analysis 5: 619-669; Andrianakis et al. 2015, PLoS Comput Biol 11: e1003968).

The emulator here is the regression part of theirs: least squares on a quadratic in each parameter
(no interactions: with 17 parameters and a wave of about a hundred sets, interactions would need
more sets than a wave has, and on the 551 sets of the calibration at commit efff6cd they predicted
no better out of sample). Its error is the root mean square leave-one-out residual, which also
carries the chance in the simulated means it was fitted to. Parameters are on the unit cube
(0 = lower bound, 1 = upper bound).
"""

from __future__ import annotations

import math

import numpy as np

RIDGE = 1e-3  # a touch of ridge: keeps the fit defined when a wave's sets lie close together


def features(unit: np.ndarray) -> np.ndarray:
    """Rows [1, x_1 .. x_d, x_1^2 .. x_d^2] for points on the unit cube."""
    unit = np.atleast_2d(unit)
    return np.hstack([np.ones((len(unit), 1)), unit, unit**2])


class QuadraticEmulator:
    """Least squares of ``y`` on ``features(unit)``; ``error`` is its leave-one-out RMS residual
    (exact for linear least squares: residual / (1 - leverage))."""

    def __init__(self, unit: np.ndarray, y: np.ndarray) -> None:
        keep = np.isfinite(y)
        f, y = features(unit[keep]), np.asarray(y, dtype=float)[keep]
        self.n = len(y)
        if self.n <= f.shape[1]:
            # Fewer sets than terms: it knows nothing, and screens nothing out.
            self.coef = np.zeros(f.shape[1])
            self.coef[0] = y.mean() if self.n else 0.0
            self.error = math.inf
            return
        gram = f.T @ f + RIDGE * np.eye(f.shape[1])
        self.coef = np.linalg.solve(gram, f.T @ y)
        leverage = np.einsum("ij,ji->i", f, np.linalg.solve(gram, f.T))
        residual = (y - f @ self.coef) / (1.0 - leverage)
        self.error = float(np.sqrt(np.mean(residual**2)))

    def predict(self, unit: np.ndarray) -> np.ndarray:
        return features(unit) @ self.coef
