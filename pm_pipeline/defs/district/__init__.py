"""The State of the District: place statistics from publishers' files, and the six-monthly report."""
