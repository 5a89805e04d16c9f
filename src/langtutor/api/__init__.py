"""The API's routes, one module per domain: HTTP adapters over the domains' service objects."""
