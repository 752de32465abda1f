"""Persistence: the directory, case profiles, deliveries with their digests and budgets, and replies."""

from services.notifications.repository.cases import case_profile, lock_case, profiles, redact_case_mails, save_case
from services.notifications.repository.deliveries import (
    add_delivery,
    add_to_digest,
    claim_due,
    delay_for_outage,
    deliveries,
    delivery_detail,
    digest_items,
    hand_over,
    mark_failed,
    mark_rendered,
    mark_sent,
    notified_about,
    notified_sites,
    postpone,
    release_after_outage,
    renew_claim,
    summary,
    use_budget,
)
from services.notifications.repository.directory import (
    DirectoryCache,
    active_directory,
    deactivate_recipient,
    load_file_entries,
    put_recipient,
    recipients,
)
from services.notifications.repository.replies import record_reply, replies_of_case

__all__ = ["DirectoryCache", "active_directory", "add_delivery", "add_to_digest", "case_profile", "claim_due",
           "deactivate_recipient", "delay_for_outage", "deliveries", "delivery_detail", "digest_items",
           "hand_over", "load_file_entries", "lock_case", "mark_failed", "mark_rendered", "mark_sent", "notified_about",
           "notified_sites", "postpone", "profiles", "put_recipient", "recipients", "record_reply",
           "redact_case_mails", "release_after_outage", "replies_of_case", "renew_claim", "save_case", "summary",
           "use_budget"]
