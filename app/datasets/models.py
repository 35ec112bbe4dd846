"""The public datasets Dyad reads."""

from enum import StrEnum


class DatasetFormat(StrEnum):
    gdelt = "gdelt"
    gdelt_mentions = "gdelt-mentions"
    polecat = "polecat"
    icews = "icews"
    acled = "acled"
