"""Importing instrument files: preview (dry run), assign, commit — one service for the web,
the API, the CLI and the watched folder."""
