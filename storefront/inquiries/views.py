"""The public event-space inquiry page and its thank-you page."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, session, url_for

from storefront.core.errors import ValidationError
from storefront.inquiries.forms import InquiryForm
from storefront.inquiries.limits import attempt_limit, submission_limit
from storefront.inquiries.services import submit_inquiry
from storefront.web.identity import current_customer

bp = Blueprint("inquiries", __name__, url_prefix="/events")

RECEIPT_KEY = "inquiry_receipt"


def _form_page(form: InquiryForm, status: int = 200) -> tuple[str, int]:
    try:
        from storefront.catalog.home import event_space
    except ImportError:  # the catalog is not installed: the form alone
        hires, upcoming = [], []
    else:
        hires, upcoming = event_space()
    return render_template("inquiries/new.html", form=form, hires=hires, upcoming=upcoming), status


@bp.route("/inquiry", methods=["GET", "POST"])
@attempt_limit
@submission_limit
def new() -> Response | tuple[str, int]:
    """The inquiry form; a valid submission is stored and the shopper sees their tracking id."""
    form = InquiryForm()
    if request.method == "GET":
        customer = current_customer()
        if customer is not None:  # save a logged-in shopper some typing
            form.email.data = form.email.data or getattr(customer, "email", "")
            form.name.data = form.name.data or getattr(customer, "name", "")
        return _form_page(form)
    try:
        receipt = submit_inquiry(form.submitted_values(), ip=request.remote_addr, honeypot=form.website.data or "")
    except ValidationError as exc:
        form.show_errors(exc.details)
        return _form_page(form, 422)
    session[RECEIPT_KEY] = receipt.tracking_id
    return redirect(url_for("inquiries.thanks"), code=303)


@bp.get("/inquiry/thanks")
def thanks() -> Response | str:
    """Shows the tracking id of the inquiry this browser just sent."""
    tracking_id = session.get(RECEIPT_KEY)
    if not isinstance(tracking_id, str):
        return redirect(url_for("inquiries.new"), code=303)
    return render_template("inquiries/thanks.html", tracking_id=tracking_id)
