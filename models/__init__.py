"""salesdesk: the Python domain package (warehouse access, ingest, build, demo data, ...).

Not to be confused with the dbt models, which live in ``dbt_project/models/``.
"""

from models.errors import UserError

__all__ = ["UserError"]
