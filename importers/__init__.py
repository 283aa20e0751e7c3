"""Importers of foreign badge data (Mozilla Backpack ZIPs and databases, our own export).

They read a source and write through backpack.services, never through raw SQL.
"""
