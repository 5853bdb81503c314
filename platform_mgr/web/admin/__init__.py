"""Administration from the browser (DESIGN §9): users and platforms (admins only)."""
