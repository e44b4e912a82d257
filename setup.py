"""The planner's compiled A* (routing/astar.pyx); everything else is declared in pyproject.toml."""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "routing.astar", ["routing/astar.pyx"], language="c++",
    # No contraction into fused multiply-adds: the bound h must round exactly as numpy's arrays did.
    extra_compile_args=["-ffp-contract=off"],
)])
