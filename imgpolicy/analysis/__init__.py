"""The analysis of a loaded environment that rules and documents share.

`Index` (lookups by AE title, site, route endpoint), `Flow` (what every route carries,
computed once over the whole route graph), capacity projection and retention requirements
live here, below both `rules/` and `docs/`, so neither has to import the other.
"""
