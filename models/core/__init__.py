"""What every other part stands on: settings, errors, the clock, the warehouse, who the user is.

``settings`` (paths and limits from the environment); ``errors`` (``UserError``, the one
exception a user can cause); ``clock`` (the desk's today); ``warehouse`` (the one module that
opens the warehouse: read-only, a cursor per thread); ``identity`` (sign-in modes, the
allow-list, request headers); ``scoping`` (the rows a role may see, ``query_scoped``); ``jail``
(forked workers with OS limits for hostile input); ``exports`` (downloads with formula-looking
cells neutralised); ``jsonlog`` (append-only JSON lines under a lock).
"""
