"""Dashboard forms. They check shape only (required, lengths, numbers); the business rules
are the domain's, whose errors the views put back on the form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from bookingapp.domain.time_bounds import out_of_range_message, within_bounds


def _in_bounds(form, field):
    if field.data is not None and not within_bounds(field.data):
        raise ValidationError(out_of_range_message("The date"))


class NewBookingForm(FlaskForm):
    # Named as the day view's ?location=, so the form opened from a branch's day starts there.
    # Offered only when the business has several active locations (the view fills it).
    location = SelectField("Location", validate_choice=False)
    service_id = SelectField("Service", validators=[DataRequired()], validate_choice=False)
    staff_id = SelectField("Staff", validate_choice=False)
    day = DateField("Date", validators=[DataRequired(), _in_bounds])
    start = SelectField("Time", validators=[DataRequired(message="Choose a time.")], validate_choice=False)
    # A client picked from the search (domain.customers.search_customers): reused as they are.
    customer_id = HiddenField("Client", validators=[Optional(), Length(max=36)])
    name = StringField("Customer name", validators=[DataRequired(), Length(max=200)])
    # A walk-in needs a name only; the business then cannot email them (domain.customers.front_desk_customer).
    email = StringField("Email (optional)", validators=[Optional(), Email(check_deliverability=False), Length(max=254)])
    phone = StringField("Phone (optional)", validators=[Optional(), Length(max=32)])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])
    # Ticked: the customer gets no confirmation (staff messages and webhooks still go).
    skip_notifications = BooleanField("Don't notify the customer")


class ReasonForm(FlaskForm):
    reason = StringField("Reason", validators=[Optional(), Length(max=500)])


class MoveBookingForm(FlaskForm):
    """Moving a booking from its panel: the day and staff member whose free times are
    listed, and the chosen start (an ISO instant from that list)."""
    day = DateField("Day", validators=[DataRequired(), _in_bounds])
    staff_id = SelectField("Staff", validators=[DataRequired(message="Choose a staff member.")], validate_choice=False)
    start = SelectField("New time", validators=[DataRequired(message="Choose a time.")], validate_choice=False)
    skip_notifications = BooleanField("Don't notify the customer")
