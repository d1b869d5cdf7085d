"""The pydantic models of an imaging environment, one module per section."""

from .environment import Environment, EnvironmentFile

__all__ = ["Environment", "EnvironmentFile"]
