"""Branches: a project forked into an alternate cut, which project is active, and how two
branches differ."""
