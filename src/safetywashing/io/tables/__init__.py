"""Score tables: wide and long tables from CSV, TSV and Parquet, layouts, names, metadata.

The entry points are in :mod:`~safetywashing.io.tables.readers`.
"""
