"""The environment file's validator, built once and kept between runs.

pydantic builds a model's validator from its annotations on first use: about 35 ms of
every run, a fifth of parsing a 1,000-AE environment. The cache folder (`load/cache.py`)
keeps the built validator in pydantic-core's own pickled form under a digest of what
decides it (the model's source, imgpolicy, pydantic, pydantic-core, Python), so a later run
reads it back in a few milliseconds. Only what validation needs is kept: the parts that
tell pydantic how to serialize (some are lambdas, which pickle cannot name) are left out,
and the model's serializer and JSON Schema are still built the usual way when asked for.

Reading a pickle runs code, so an entry is only read where the parse cache reads: from a
folder and a file this user owns and nobody else may write (`cachedir.py`).
"""

from __future__ import annotations

import hashlib
import pickle
import sys
from pathlib import Path
from typing import Any

import pydantic
import pydantic_core

from .. import __version__
from .environment import EnvironmentFile

_installed = False
"""Whether this process validates with a validator read back (then there is none to keep)."""


def salt() -> str:
    """A digest of everything that decides the validator."""
    digest = hashlib.sha256(
        f"imgpolicy {__version__} pydantic {pydantic.VERSION} pydantic-core "
        f"{pydantic_core.__version__} python {sys.version}".encode()
    )
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def built() -> bytes | None:
    """The validator this process built, pickled without its serialization parts; None
    when it has not built one or it cannot be pickled (a validator added later that
    pickle cannot name: the cache then simply does not keep it)."""
    if _installed or not EnvironmentFile.__pydantic_complete__:
        return None
    try:
        # pydantic-core's own pickled form: (SchemaValidator, (schema, config, ...))
        reduced: Any = EnvironmentFile.__pydantic_validator__.__reduce__()
        made, (schema, *rest) = reduced
        validator = made(_without_serialization(schema), *rest)
        return pickle.dumps(validator, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # pickle's errors vary (PicklingError, AttributeError, TypeError)
        return None


def install(blob: bytes | memoryview) -> bool:
    """Validate with the validator in `blob` from now on; False when it does not read back
    as one (the model then builds its own on first use, as without a cache)."""
    global _installed
    try:
        validator = pickle.loads(blob)
    except Exception:  # a damaged or foreign entry: whatever unpickling raises
        return False
    if not isinstance(validator, pydantic_core.SchemaValidator):
        return False
    EnvironmentFile.__pydantic_validator__ = validator
    _installed = True
    return True


def _without_serialization(schema: Any) -> Any:
    """`schema` without the `serialization` entries, which only a serializer reads."""
    if isinstance(schema, dict):
        return {k: _without_serialization(v) for k, v in schema.items() if k != "serialization"}
    if isinstance(schema, list):
        return [_without_serialization(v) for v in schema]
    return schema
