"""imgpolicy: policy-as-code for DICOM imaging environments."""

__version__ = "0.1.0"

FORMAT_VERSION = 1
"""The `imgpolicy:` value that marks a file as part of an environment."""
