"""Staff-managed coupon codes: percent off, an amount off, or free shipping.

* :mod:`.models`      — ``Coupon`` and ``CouponRedemption``.
* :mod:`.services`    — ``check_coupon`` (a quote for a cart), ``redeem`` / ``release`` / ``mark_used``
  (what the checkout calls), and the staff create/edit/deactivate helpers.
* :mod:`.views`       — the cart's "Have a code?" form; ``current_coupon_code()`` for the checkout.
* :mod:`.staff_views` — the back-office list and form (``/staff/coupons``).
"""
