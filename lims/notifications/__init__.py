"""Notifications: in the app for everyone, by e-mail when SMTP is configured."""
