{#- Great-circle distance in km between two points given in degrees (haversine, mean Earth
    radius 6371.0088 km). Portable: radians, sin, cos, asin, sqrt, power. Null when any
    coordinate is null: the null check is explicit because least() skips nulls on DuckDB and
    Spark, so least(1.0, null) is 1.0 and a missing point came out as the antipodal distance
    (20,015 km) for every visit without a check-in (phone visits). -#}
{% macro haversine_km(latitude_1, longitude_1, latitude_2, longitude_2) -%}
    (
        case
            when {{ latitude_1 }} is null or {{ longitude_1 }} is null
                or {{ latitude_2 }} is null or {{ longitude_2 }} is null
                then null
            else 2 * 6371.0088 * asin(
                least(
                    1.0,
                    sqrt(
                        power(sin(radians({{ latitude_2 }} - {{ latitude_1 }}) / 2), 2)
                        + cos(radians({{ latitude_1 }})) * cos(radians({{ latitude_2 }}))
                        * power(sin(radians({{ longitude_2 }} - {{ longitude_1 }}) / 2), 2)
                    )
                )
            )
        end
    )
{%- endmacro %}
