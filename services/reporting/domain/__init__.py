"""Pure reporting logic (no I/O): facts from events, the fold "as of" a date, figures and disclosure control."""

from shared.contracts import EVENT_TYPES


def empty_counts() -> dict[str, int]:
    """Every event type, so a count that is still zero is shown as zero rather than missing."""
    return dict.fromkeys(EVENT_TYPES, 0)
