"""Meetings (overleggen): agenda of cases, decision records that may fire triggers, the besluitenlijst."""
