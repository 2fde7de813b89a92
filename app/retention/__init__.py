"""Retention and destruction (issue 17 item 5): closed cases past their term lose their personal data."""
