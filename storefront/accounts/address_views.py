"""The customer's address book pages under /account/addresses (routes on the accounts blueprint).

Every change is a POST form with a CSRF token followed by a redirect; a logged-out visitor is
sent to the login page. The services only ever touch the logged-in customer's own addresses,
so someone else's address id is a 404 here.
"""

from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from storefront.accounts import addresses as book
from storefront.accounts.views import bp
from storefront.core.addresses import ADDRESS_FIELDS, MAX_LENGTHS, country_choices, format_address
from storefront.core.errors import Conflict, ValidationError
from storefront.web.identity import current_customer

COUNTRY_CHOICES = [SelectChoice("", "Choose a country…"),
                   *(SelectChoice(code, name) for code, name in country_choices())]


class AddressForm(FlaskForm):
    """The address fields (and CSRF); ``clean_address`` in the services does the validation."""

    name = StringField("Full name", validators=[Length(max=MAX_LENGTHS["name"])])
    line1 = StringField("Address line 1", validators=[Length(max=MAX_LENGTHS["line1"])])
    line2 = StringField("Address line 2 (optional)", validators=[Length(max=MAX_LENGTHS["line2"])])
    city = StringField("Town or city", validators=[Length(max=MAX_LENGTHS["city"])])
    region = StringField("State, county or region (optional)", validators=[Length(max=MAX_LENGTHS["region"])])
    postcode = StringField("Postcode or ZIP", validators=[Length(max=MAX_LENGTHS["postcode"])])
    country = SelectField("Country", choices=COUNTRY_CHOICES, validate_choice=False)
    phone = TelField("Phone (optional)", validators=[Length(max=MAX_LENGTHS["phone"])])
    make_default = BooleanField("Make this my default address")

    def address_data(self) -> dict[str, str]:
        return {name: self[name].data or "" for name in ADDRESS_FIELDS}


def _apply_errors(form: FlaskForm, exc: ValidationError) -> None:
    for detail in exc.details:
        field = getattr(form, detail.field, None)
        if field is not None:
            field.errors = [*field.errors, detail.message]


def _login_redirect() -> Response:
    target = request.path if request.method == "GET" else url_for("accounts.addresses")
    return redirect(url_for("accounts.login", next=target), code=303)


def _back() -> Response:
    return redirect(url_for("accounts.addresses"), code=303)


def _book_page(customer: Any, form: AddressForm, status: int = 200) -> tuple[str, int]:
    saved = book.list_addresses(customer.id)
    cards = [{"address": a, "lines": format_address(a.as_dict())} for a in saved]
    page = render_template("accounts/addresses.html", customer=customer, cards=cards, form=form,
                           full=len(saved) >= book.MAX_ADDRESSES, max_addresses=book.MAX_ADDRESSES)
    return page, status


@bp.get("/addresses")
def addresses() -> Any:
    customer = current_customer()
    if customer is None:
        return _login_redirect()
    default = book.default_address(customer.id)
    form = AddressForm(formdata=None, country=default.country if default else "")
    return _book_page(customer, form)


@bp.post("/addresses")
def address_create() -> Any:
    customer = current_customer()
    if customer is None:
        return _login_redirect()
    form = AddressForm()
    try:
        book.create_address(customer.id, form.address_data(), make_default=bool(form.make_default.data))
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _book_page(customer, form, 422)
    except Conflict as exc:
        flash(exc.message, "error")
        return _back()
    flash("Address saved.", "success")
    return _back()


def _edit_page(form: AddressForm, address: book.Address, status: int = 200) -> tuple[str, int]:
    return render_template("accounts/addresses_edit.html", form=form, address=address), status


@bp.get("/addresses/<int:address_id>/edit")
def address_edit(address_id: int) -> Any:
    customer = current_customer()
    if customer is None:
        return _login_redirect()
    address = book.get_address(customer.id, address_id)
    return _edit_page(AddressForm(formdata=None, obj=address), address)


@bp.post("/addresses/<int:address_id>/edit")
def address_update(address_id: int) -> Any:
    customer = current_customer()
    if customer is None:
        return _login_redirect()
    form = AddressForm()
    try:
        book.update_address(customer.id, address_id, form.address_data())
    except ValidationError as exc:
        _apply_errors(form, exc)
        return _edit_page(form, book.get_address(customer.id, address_id), 422)
    flash("Address updated.", "success")
    return _back()


@bp.post("/addresses/<int:address_id>/default")
def address_make_default(address_id: int) -> Any:
    customer = current_customer()
    if customer is None:
        return _login_redirect()
    book.set_default(customer.id, address_id)
    flash("Default address changed.", "success")
    return _back()


@bp.post("/addresses/<int:address_id>/delete")
def address_delete(address_id: int) -> Any:
    customer = current_customer()
    if customer is None:
        return _login_redirect()
    book.delete_address(customer.id, address_id)
    flash("Address deleted.", "success")
    return _back()
