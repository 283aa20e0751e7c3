"""Paging answers shared by the badge exchange APIs: the `Link` header both specify."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request

from backpack.links import external_url


def page_links(endpoint: str, limit: int, offset: int, total: int) -> str:
    """`Link` with first and last always, next while incomplete and prev past the start.

    The request's other query parameters (`since`) are kept, so every page is of one list.
    """

    def link(at: int, rel: str) -> str:
        query = {k: v for k, v in request.args.items() if k not in ("limit", "offset")}
        query.update(limit=str(limit), offset=str(at))
        return f'<{external_url(endpoint)}?{urlencode(query)}>; rel="{rel}"'

    last = max(0, (total - 1) // limit * limit)
    rels = [link(0, "first"), link(last, "last")]
    if offset + limit < total:
        rels.append(link(offset + limit, "next"))
    if offset > 0:
        rels.append(link(max(0, offset - limit), "prev"))
    return ", ".join(rels)
