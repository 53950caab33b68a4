"""sim/experiments/samplers.py: every design has its size, stays in its box and is seeded."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments import samplers
from sim.experiments.design import Parameters
from sim.experiments.planning import parameter_points


def test_grid_is_every_combination_first_key_slowest():
    points = samplers.grid({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(points) == 6
    assert points[0] == {"a": 1, "b": "x"} and points[1] == {"a": 1, "b": "y"}
    assert points[-1] == {"a": 2, "b": "z"}


@pytest.mark.parametrize("sample", [samplers.latin_hypercube, samplers.sobol_sequence])
def test_quasi_random_points_fill_the_box_and_are_seeded(sample):
    low, high = np.array([0.5, 10.0]), np.array([2.0, 20.0])
    points = sample(16, low, high, 3)
    assert points.shape == (16, 2)
    assert (points >= low).all() and (points <= high).all()
    np.testing.assert_array_equal(points, sample(16, low, high, 3))
    assert not np.array_equal(points, sample(16, low, high, 4))


def test_latin_hypercube_puts_one_point_in_each_of_n_strata():
    points = samplers.latin_hypercube(10, np.zeros(3), np.ones(3), 0)
    for column in points.T:
        assert sorted(np.floor(column * 10).astype(int)) == list(range(10))


def test_morris_trajectories_move_one_parameter_a_step_at_a_time():
    bounds = {"a": [0.0, 1.0], "b": [10.0, 20.0], "c": [-1.0, 1.0]}
    design = samplers.morris(bounds, trajectories=4, levels=4, seed=0)
    assert design.shape == (4 * (3 + 1), 3)
    for start in range(0, len(design), 4):
        steps = np.diff(design[start:start + 4], axis=0) != 0
        assert (steps.sum(axis=1) == 1).all()  # each step changes exactly one parameter
    np.testing.assert_array_equal(design, samplers.morris(bounds, 4, 4, seed=0))


def test_saltelli_design_has_n_times_k_plus_2_points_in_bounds():
    bounds = {"a": [0.0, 1.0], "b": [5.0, 6.0]}
    design = samplers.saltelli(bounds, base_samples=8, seed=0)
    assert design.shape == (8 * (2 + 2), 2)
    assert (design[:, 1] >= 5.0).all() and (design[:, 1] <= 6.0).all()


def test_parameter_points_grid_lhs_and_sobol():
    grid = Parameters(method="grid", ranges={"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(parameter_points(grid)) == 6
    assert {"a": 2, "b": "z"} in parameter_points(grid)
    for method in ("lhs", "sobol"):
        p = Parameters(method=method, samples=8, ranges={"a": [0.5, 2.0], "n": [2, 6]})
        points = parameter_points(p)
        assert len(points) == 8
        assert all(0.5 <= q["a"] <= 2.0 and isinstance(q["n"], int) and 2 <= q["n"] <= 6
                   for q in points)
        assert points == parameter_points(p)  # the sampler is seeded
