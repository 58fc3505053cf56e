"""page/limit pagination (default 25, at most 100) with meta.page, meta.limit, meta.total."""
from __future__ import annotations

from sqlalchemy import func, select

from bookingapp.api.params import query_int
from bookingapp.extensions import db

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def page_args() -> tuple[int, int]:
    page = query_int("page", default=1, minimum=1, maximum=1_000_000)
    limit = query_int("limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    return page, limit


def paginate(query, serialize) -> tuple[list, dict]:
    """Run a select() one page at a time; returns (serialized items, meta)."""
    page, limit = page_args()
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(limit).offset((page - 1) * limit)).all()
    return [serialize(row) for row in rows], {"page": page, "limit": limit, "total": int(total or 0)}


def paginate_list(items: list, serialize) -> tuple[list, dict]:
    page, limit = page_args()
    chunk = items[(page - 1) * limit: page * limit]
    return [serialize(item) for item in chunk], {"page": page, "limit": limit, "total": len(items)}
