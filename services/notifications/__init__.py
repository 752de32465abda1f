"""Notifications: NDA-safe emails to municipalities and provinces, exactly once per event and recipient."""
