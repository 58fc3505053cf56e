"""page/limit pagination (default 25, at most 100) with meta.page, meta.limit, meta.total.
The page and limit come from the operation's query model (schemas.PageQuery)."""
from __future__ import annotations

from sqlalchemy import func, select

from bookingapp.extensions import db

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def paginate(query, serialize, page: int, limit: int) -> tuple[list, dict]:
    """Run a select() one page at a time; returns (serialized items, meta)."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(limit).offset((page - 1) * limit)).all()
    return [serialize(row) for row in rows], {"page": page, "limit": limit, "total": int(total or 0)}
