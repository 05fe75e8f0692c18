"""HTTP routes, one module per capability (each exposes ``router``, named in the registry's ``routes``)."""
