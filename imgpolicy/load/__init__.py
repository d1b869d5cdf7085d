"""YAML files -> positioned data -> a validated, merged `Environment`."""

from .environment import LoadResult, load_environment

__all__ = ["LoadResult", "load_environment"]
