"""The demo data generator, split along its sections (``salesdesk demo``).

``constants`` (every tunable: sizes, shares, the city, names, products); ``common`` (small
helpers and the calendar); ``entities`` (reps, products, customers); ``activity`` (sales and
visits month by month); ``tables`` (the master tables as written); ``dirty`` (rows that break
one staging rule each); ``generator`` (``generate``, which writes it all and returns a summary).
Same seed and date, same data.
"""
