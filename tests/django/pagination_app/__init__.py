"""A small Django app for the pagination tests: one model on the sqlite test database."""
