"""Presentation helpers: i18n, formatting, charts and shared widgets."""
