"""Computation behind a page that is more than a query: routes, plans, ad hoc SQL.

``routing`` (the vehicle-routing core, standalone: imports nothing else of the project);
``planner`` (a rep's week and day planned on the warehouse and exported); ``geo`` (coordinates
and links for Chinese map apps); ``adhoc`` (the SQL page's queries, in jailed workers on a
marts-only copy under the user's scope).
"""
