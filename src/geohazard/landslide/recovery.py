"""Published recovery and decay times of post-earthquake landslide activity (package data).

Each row says how the figure was obtained (``status``):

- ``quoted in the review``: as stated by the Tibetan Plateau review behind this system
  (Zhao, Su, Xu et al. 2023, Earth-Science Reviews), the basis of issue 15;
- ``abstract checked``: the figure is stated in the cited paper's published abstract, which
  was read when the row was added (the paper's full text was not);
- ``unverified``: from the cited paper as recalled by the author of this table; neither the
  abstract nor the text was read. Use with care and check the source.

``relation`` is ``">"`` for a lower bound (activity still above background when last
observed), ``"<"`` for an upper bound, ``"range"`` for a span stated for several events
together and ``"~"`` for an approximate value.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["PUBLISHED", "published_recovery_times"]

_REVIEW = ("Zhao B., Su L., Xu Q. et al. (2023) A review of recent earthquake-induced "
           "landslides on the Tibetan Plateau. Earth-Science Reviews")
_MARC = ("Marc O., Hovius N., Meunier P., Uchida T., Hayashi S. (2015) Transient changes of "
         "landslide rates after earthquakes. Geology 43(10):883-886")

#: (event, date, mw, quantity, relation, value_min, value_max, source, status, note)
PUBLISHED: tuple[tuple[object, ...], ...] = (
    ("Wenchuan", "2008-05-12", 7.9, "recovery_time_years", ">", 25.0, None, _REVIEW,
     "quoted in the review", "recovery of the hit area expected to take more than 25 years"),
    ("Kashmir", "2005-10-08", 7.6, "recovery_time_years", ">", 13.0, None, _REVIEW,
     "quoted in the review", "activity still above background 13 years after"),
    ("Chi-Chi", "1999-09-21", 7.6, "decay_time_years", "range", 1.0, 4.0, _MARC,
     "abstract checked", "rates back to background within about 1-4 years, stated for the four "
     "studied events (Chi-Chi, Finisterre, Mid-Niigata, Iwate-Miyagi) together"),
    ("Mid-Niigata", "2004-10-23", 6.6, "decay_time_years", "range", 1.0, 4.0, _MARC,
     "abstract checked", "as for Chi-Chi (same study)"),
    ("Iwate-Miyagi", "2008-06-14", 6.9, "decay_time_years", "range", 1.0, 4.0, _MARC,
     "abstract checked", "as for Chi-Chi (same study)"),
    ("Finisterre", "1993-10-13", 6.9, "decay_time_years", "range", 1.0, 4.0, _MARC,
     "abstract checked", "as for Chi-Chi (same study)"),
    ("Chi-Chi", "1999-09-21", 7.6, "recovery_time_years", "~", 6.0, None,
     "Hovius N., Meunier P., Lin C.-W. et al. (2011) Prolonged seismically induced erosion "
     "and the mass balance of a large earthquake. EPSL 304:347-355", "unverified",
     "landslide rates elevated for about six years after the earthquake"),
    ("Wenchuan", "2008-05-12", 7.9, "recovery_time_years", ">", 10.0, None,
     "Fan X., Domenech G., Scaringi G. et al. (2018) Spatio-temporal evolution of mass "
     "wasting after the 2008 Mw 7.9 Wenchuan earthquake revealed by a detailed "
     "multi-temporal inventory. Landslides 15:2325-2341", "unverified",
     "activity decreasing but not back to the pre-event level ten years after"),
)

_TANYAS = ("Tanyas H., Kirschbaum D., Gorum T., van Westen C. J., Lombardo L. (2021) New "
           "insight into post-seismic landslide evolution processes in the tropics. Front. "
           "Earth Sci. 9:700546")

PUBLISHED = PUBLISHED + tuple(
    (event, date, mw, "recovery_time_years", "<", 1.0, None, _TANYAS, "abstract checked",
     "new-landslide susceptibility back to pre-seismic levels in under a year (tropics)")
    for event, date, mw in (("Sulawesi", "2012-08-18", 6.3), ("Reuleuet", "2016-12-06", 6.5),
                            ("Kasiguncu", "2017-05-29", 6.6), ("Porgera", "2018-02-25", 7.5),
                            ("Palu", "2018-09-28", 7.5)))

_COLUMNS = ["event", "date", "mw", "quantity", "relation", "value_min", "value_max",
            "source", "status", "note"]


def published_recovery_times() -> pd.DataFrame:
    """The shipped table of published recovery and decay times.

    Returns
    -------
    pandas.DataFrame
        Columns ``event, date, mw, quantity`` (``recovery_time_years`` or
        ``decay_time_years``), ``relation``, ``value_min``, ``value_max`` (NaN unless a
        range), ``source``, ``status`` and ``note``.
    """
    df = pd.DataFrame(list(PUBLISHED), columns=_COLUMNS)
    df["value_max"] = pd.to_numeric(df["value_max"])
    return df
