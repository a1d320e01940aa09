{#- Great-circle distance in km between two points given in degrees (haversine, mean Earth
    radius 6371.0088 km). Portable: radians, sin, cos, asin, sqrt, power. Null when any
    coordinate is null. -#}
{% macro haversine_km(latitude_1, longitude_1, latitude_2, longitude_2) -%}
    (
        2 * 6371.0088 * asin(
            least(
                1.0,
                sqrt(
                    power(sin(radians({{ latitude_2 }} - {{ latitude_1 }}) / 2), 2)
                    + cos(radians({{ latitude_1 }})) * cos(radians({{ latitude_2 }}))
                    * power(sin(radians({{ longitude_2 }} - {{ longitude_1 }}) / 2), 2)
                )
            )
        )
    )
{%- endmacro %}
