"""The DuckDB query layer: file loading, validation and one function per insight."""
