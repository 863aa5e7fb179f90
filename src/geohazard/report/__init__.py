"""Self-contained HTML reports (figures embedded as base64 PNG; no external assets)."""
