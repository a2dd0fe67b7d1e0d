"""Low-level readers used by data/ingest.py: encodings, CSV dialects, containers, value and date formats.

Nothing here runs SQL except through the expressions it builds for ingest.py; nothing here holds
user-facing text (problems are ``LoadError``/``Issue`` codes).
"""
