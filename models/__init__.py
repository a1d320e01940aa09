"""salesdesk: the Python domain package. No streamlit import anywhere below.

- ``models.core``: settings, errors, clock, the warehouse, identity and row scoping.
- ``models.pipeline``: lake contracts, ERP mappings, ingest, the dbt build, the ``salesdesk`` CLI.
- ``models.queries``: what each page reads, under the user's scope.
- ``models.engines``: route solving and planning, map links, the SQL page's jailed queries.
- ``models.demo``: the demo data generator.

Not to be confused with the dbt models, which live in ``dbt_project/models/``.
"""

from models.core.errors import UserError

__all__ = ["UserError"]
