"""Scenes: per-scene asset instances and their inheritance along a film (DESIGN §4).

An instance is an asset `variant_of` its project asset (its sync source) and `used_in` its
scene; from the second scene on it is also `derived_from` the same asset's instance in the
scene before (the audit link, with no sync state).
"""
