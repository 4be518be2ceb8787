"""Relationships: typed, ordered edges between assets, and walks over them."""
