"""The read side: get_*_or_404 and paginated, eager-loaded list_* functions."""
