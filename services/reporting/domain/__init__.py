"""Pure reporting logic (no I/O): facts from events, the fold "as of" a date, figures and disclosure control."""

from shared.contracts import EVENT_TYPES, ConsentGranted, IdentityErased, LeadSignalled

# The two topics that carry a company's name and KvK number: reporting never reads them (the broker refuses it
# too, deploy/kafka_security.py). What it counts and projects comes from intake's events without identities.
IDENTITY_TOPICS = (LeadSignalled.topic, ConsentGranted.topic)
# identity-erased only tells the keepers of an identity to delete their copy: there is nothing in it to count.
NOT_REPORTED = (*IDENTITY_TOPICS, IdentityErased.topic)
REPORTED = {topic: model for topic, model in EVENT_TYPES.items() if topic not in NOT_REPORTED}


def empty_counts() -> dict[str, int]:
    """Every event type reporting reads, so a count that is still zero is shown as zero rather than missing."""
    return dict.fromkeys(REPORTED, 0)
