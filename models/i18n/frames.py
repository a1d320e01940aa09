"""Codes in a table shown with their labels.

The marts and the frames the queries return keep stable codes (tier_move ``up``, lifecycle stage
``growing``, channel ``retail_store`` ...); a grid shows their labels in the reader's language.
``with_labels`` makes that display copy; downloads and navigation keep the frame with the codes.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from models.i18n.catalogue import label


def with_labels(frame: pl.DataFrame, kinds: Mapping[str, str], lang: str) -> pl.DataFrame:
    """``frame`` with each column of ``kinds`` (column -> kind of code) holding the labels of
    its codes in ``lang``; columns the frame lacks are skipped, nulls stay null."""
    columns = []
    for column, kind in kinds.items():
        if column not in frame.columns:
            continue
        codes = [c for c in frame[column].unique().to_list() if c is not None]
        mapping = {str(code): label(kind, code, lang) for code in codes}
        columns.append(pl.col(column).cast(pl.String)
                       .replace_strict(mapping, default=None, return_dtype=pl.String))
    return frame.with_columns(columns) if columns else frame
