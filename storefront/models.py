"""Imports every domain's models so Alembic and ``db.create_all`` see the whole schema."""

from __future__ import annotations

from storefront.accounts import addresses as accounts_addresses  # noqa: F401
from storefront.accounts import models as accounts_models  # noqa: F401
from storefront.apitokens import models as apitokens_models  # noqa: F401
from storefront.audit import models as audit_models  # noqa: F401
from storefront.cart import models as cart_models  # noqa: F401
from storefront.catalog import models as catalog_models  # noqa: F401
from storefront.channels import models as channels_models  # noqa: F401
from storefront.content import models as content_models  # noqa: F401
from storefront.coupons import models as coupons_models  # noqa: F401
from storefront.inquiries import models as inquiries_models  # noqa: F401
from storefront.notifications import models as notifications_models  # noqa: F401
from storefront.orders import models as orders_models  # noqa: F401
from storefront.photos import models as photos_models  # noqa: F401
from storefront.shipping import models as shipping_models  # noqa: F401
from storefront.staff import models as staff_models  # noqa: F401
from storefront.sync import models as sync_models  # noqa: F401
from storefront.system import models as system_models  # noqa: F401
from storefront.wantlist import models as wantlist_models  # noqa: F401
from storefront.webhooks import models as webhooks_models  # noqa: F401
from storefront.wishlist import models as wishlist_models  # noqa: F401
