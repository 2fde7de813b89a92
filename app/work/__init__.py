"""Work lists (issue 15 item 2): what awaits the caller's organisation across the cases it may read."""
