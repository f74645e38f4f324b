"""The commerce system (ECS): the Square client, its errors and webhook signatures."""

from __future__ import annotations

from storefront.ecs.client import CatalogPage, ClientStats, SearchCatalogPage, SquareClient
from storefront.ecs.errors import (
    ECSAuthError,
    ECSBadRequest,
    ECSConflict,
    ECSError,
    ECSNotFound,
    ECSRateLimited,
    ECSServerError,
    ECSUnavailable,
)
from storefront.ecs.signature import sign, verify

__all__ = ["CatalogPage", "ClientStats", "ECSAuthError", "ECSBadRequest", "ECSConflict", "ECSError", "ECSNotFound",
           "ECSRateLimited", "ECSServerError", "ECSUnavailable", "SearchCatalogPage", "SquareClient", "sign", "verify"]
