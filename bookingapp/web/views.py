"""Public pages. For now a plain landing page; the booking wizard comes with its issue."""
from flask import Blueprint, render_template
from sqlalchemy import select

from bookingapp.extensions import db
from bookingapp.models import Business, Service, Staff

bp = Blueprint("web", __name__)


@bp.get("/")
def index():
    business = db.session.scalars(
        select(Business).where(Business.is_active.is_(True)).order_by(Business.created_at).limit(1)
    ).first()
    services = staff = []
    if business is not None:
        services = db.session.scalars(
            select(Service)
            .where(Service.business_id == business.id, Service.is_active.is_(True), Service.deleted_at.is_(None))
            .order_by(Service.sort_order, Service.name)
        ).all()
        staff = db.session.scalars(
            select(Staff)
            .where(Staff.business_id == business.id, Staff.is_active.is_(True), Staff.deleted_at.is_(None))
            .order_by(Staff.sort_order, Staff.name)
        ).all()
    return render_template("web/index.html", business=business, services=services, staff=staff)
