"""The data pipeline: from a file a user drops to a swapped-in warehouse build.

``contracts`` (what each lake entity holds, and the rejection rules) and ``contract_files`` (the
dbt copies generated from it); ``mappings`` (an ERP export's columns and codes mapped onto the
contract); ``ingest`` (files checked and written to the lake, in a jailed worker); ``build`` (dbt
run on a copy, the new warehouse swapped in, the post-build hooks run); ``cli`` (the
``salesdesk`` command that drives all of it).
"""
