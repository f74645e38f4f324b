"""The commerce system (ECS): the Square client, its errors and webhook signatures."""

from __future__ import annotations

from storefront.ecs.client import CatalogPage, SearchCatalogPage, SquareClient
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

__all__ = ["CatalogPage", "ECSAuthError", "ECSBadRequest", "ECSConflict", "ECSError", "ECSNotFound",
           "ECSRateLimited", "ECSServerError", "ECSUnavailable", "SearchCatalogPage", "SquareClient"]
