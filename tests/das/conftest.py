"""Fixtures of the DAS tests: a small synthetic storm shared by a module."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("DFS_DATA_DIR", tempfile.mkdtemp(prefix="dascore-cache-"))
