"""Notifications service: emails to lead professionals and providers, once and only once."""
