"""Explicit randomness helpers.

Library code never seeds global state; functions take ``rng`` as a
:class:`numpy.random.Generator`, an integer seed, or ``None`` (fresh entropy).
"""

from __future__ import annotations

import numpy as np

from geohazard.exceptions import ParameterError

RNGLike = np.random.Generator | int | np.random.SeedSequence | None


def as_generator(rng: RNGLike = None) -> np.random.Generator:
    """Return a NumPy Generator from a seed, a Generator or ``None``.

    Parameters
    ----------
    rng
        A Generator (returned unchanged), an int or SeedSequence seed, or None.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, bool) or (rng is not None and not isinstance(
            rng, int | np.integer | np.random.SeedSequence)):
        raise ParameterError(f"seed must be an integer >= 0 (--seed), got {rng!r}")
    if isinstance(rng, int | np.integer) and rng < 0:
        raise ParameterError(f"seed must be >= 0 (--seed), got {int(rng)}")
    return np.random.default_rng(rng)


def spawn(rng: RNGLike, n: int) -> list[np.random.Generator]:
    """Split ``rng`` into ``n`` independent child generators (for parallel work)."""
    gen = as_generator(rng)
    return [np.random.default_rng(s) for s in gen.bit_generator.seed_seq.spawn(n)]
