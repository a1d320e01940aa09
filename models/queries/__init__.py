"""What each page reads: one module per page or shared read, every query under the user's scope.

``filters`` (the shared filter bar and the scoped ``read``); ``overview``, ``scoring``,
``growth``, ``visits``, ``customer_card``, ``commissions``, ``today``, ``datadesk`` (one per
page); ``attribution`` (revenue as booked or by the current book); ``visit_records`` and
``alert_tasks`` (what a rep enters on the Today page); ``published_plans`` (week plans a manager
published for the reps).
"""
