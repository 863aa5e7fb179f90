"""Earthquake catalogs: the immutable :class:`Catalog`, readers/writers and statistics."""

from geohazard.catalog.core import (
    SPLITS,
    Catalog,
    CatalogMetadata,
    EventSequence,
)
from geohazard.catalog.io import read_catalog, write_catalog

__all__ = [
    "SPLITS",
    "Catalog",
    "CatalogMetadata",
    "EventSequence",
    "read_catalog",
    "write_catalog",
]
