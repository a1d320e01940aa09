-- Visit compliance per customer and week (SPEC 7), as the pages read it.
-- The rule lives in int_visit_compliance, so that fct_rep_visit_compliance builds on it
-- without reading a mart.

select * from {{ ref('int_visit_compliance') }}
