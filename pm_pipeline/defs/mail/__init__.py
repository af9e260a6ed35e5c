"""E-mail to owners and managers: their lists, all-clears and reminders (issue 14)."""
