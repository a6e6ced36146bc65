"""Command-line commands, each a thin layer over the library."""
