"""Command line: one module per command; parses, calls the library, prints."""
