"""GraphQL object types, built from domain records by `from_record`."""
