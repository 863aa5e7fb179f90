"""Exception hierarchy.

Every error raised on purpose by geohazard derives from :class:`GeohazardError` and
also from the builtin exception a Python user would expect (``ValueError`` for bad
values, ``FileNotFoundError`` for missing files), so both ``except`` styles work.
The CLI catches :class:`GeohazardError` and prints its message as one line.
"""

from __future__ import annotations


class GeohazardError(Exception):
    """Root of all geohazard errors."""


class InputError(ValueError, GeohazardError):
    """Invalid user input: a value, file content or option."""


class CatalogError(InputError):
    """An earthquake catalog cannot be read or is invalid."""


class DataFileNotFoundError(FileNotFoundError, GeohazardError):
    """A required input file does not exist."""


class ParameterError(InputError):
    """A model parameter is out of bounds or inconsistent."""


class NotFittedError(RuntimeError, GeohazardError):
    """A model was used before ``fit`` was called (scikit-learn contract)."""


class ConvergenceError(RuntimeError, GeohazardError):
    """An iterative fit failed to converge."""


class ExplosiveProcessError(ParameterError):
    """A branching process is supercritical and simulation was not explicitly allowed."""


class DASError(InputError):
    """A DAS file, geometry or weather table is invalid."""


class RasterError(InputError):
    """A raster or vector input is invalid (CRS, shape, nodata)."""


class OutputError(InputError):
    """An output path cannot be written (a folder given as a file, a file as a parent)."""
