"""Unbound extension objects; ``create_app`` binds them to an app."""

from __future__ import annotations

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from storefront.db.naming import NAMING_CONVENTION
from storefront.shops.databases import ShopSession


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _rate_limit_key() -> str:
    return get_remote_address() or request.remote_addr or "unknown"


# Sessions bind to the shop in context (storefront.shops.databases).
db = SQLAlchemy(model_class=Base, session_options={"class_": ShopSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=_rate_limit_key, headers_enabled=True)
