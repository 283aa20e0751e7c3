"""Database plumbing the services and importers share: inserting and finding rows in bulk
(`bulk_rows`), walking many rows a batch at a time (`keyset`), ids of shared rows within
one batch (`row_ids`), adding a row that concurrent writers may race to add
(`unique_rows`), keeping the planner's statistics fresh while an import grows the tables
(`planner_statistics`), and the errors that say the database is away, which the views
answer with a 503 (`outages`).

It knows tables and sessions, not what the rows mean: it imports no service, view or
importer (checked by import-linter). Not named `db`: `backpack.db` would shadow the
SQLAlchemy handle that `backpack/__init__.py` imports under that name.
"""
