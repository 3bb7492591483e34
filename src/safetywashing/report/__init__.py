"""Presentation of finished results: JSON, CSV, Markdown, console tables.

Nothing here recomputes statistics; rounding happens only here.
"""
