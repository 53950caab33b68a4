"""Experiments: experiment files, samplers, planning, execution of sweeps, calibration and
sensitivity analysis."""
