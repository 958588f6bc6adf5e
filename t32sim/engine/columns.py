"""DataFrames built from whole columns (events, history): no row objects on the way."""
from __future__ import annotations


def typed_frame(columns: dict[str, list], names: list[str], numeric: dict[str, str]):
    """A DataFrame from whole columns: ``numeric`` ones by their numpy dtype, the others as
    pandas "string" columns. The garbage collector is held off meanwhile: it would walk
    every object of a long history again for each big array made."""
    import gc

    import numpy as np
    import pandas as pd

    enabled = gc.isenabled()
    gc.disable()
    try:
        data = {name: (np.array(columns[name], dtype=numeric[name]) if name in numeric
                       else pd.arrays.StringArray(np.array(columns[name], dtype=object)))
                for name in names}
        return pd.DataFrame(data, columns=names, copy=False)
    finally:
        if enabled:
            gc.enable()
