"""The ``pulse`` plugin: tapering rule reminders, daily topics, inactivity, health reports."""
