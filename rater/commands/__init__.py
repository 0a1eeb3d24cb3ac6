"""CLI commands beyond the basics in rater.cli, one module per concern.

Each module imports only click (and the standard library) at module level,
lists its click commands in ``COMMANDS``, and is picked up by rater.cli.
Shared options (``db_option``, ``open_store``) live in rater.cli.
"""
