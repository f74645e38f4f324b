"""OpenAPI operations and schemas of the staff catalog routes: enrichment, Discogs lookups, genres, formats.

Adding a route: append an ``Op`` to ``OPERATIONS`` (and its response schema to ``SCHEMAS``);
tests/test_openapi.py names any route that is missing here.
"""

from __future__ import annotations

from storefront.api.openapi import Op, query_param
from storefront.api.openapi_schemas import (
    BOOL,
    DATETIME,
    INT,
    STR,
    Schema,
    array,
    enum,
    integer,
    nullable,
    obj,
    ref,
    request_obj,
    string,
)

TAGS = [
    {"name": "Staff: catalog", "description": "Product enrichment, Discogs lookups, genres and formats."},
    {"name": "Staff: catalog mapping", "description": "Which part of the ECS catalog holds each record field."},
    {"name": "Staff: photos", "description": "Staff photos of a release or of one copy, shown on the shop and "
                                             "sent to the ECS as CatalogImages."},
]
MAPPING_FIELDS = ("artist", "title", "label", "catalog_number", "format", "year", "barcode", "media_grade",
                  "sleeve_grade", "starts_at", "release_date")
MAPPING_SOURCE = request_obj({
    "source": enum("attribute", "option", "name", "category", "root_category", "variation_name", "description",
                   "upc", "sku", "none"),
    "name": string(maxLength=255, description="The option or custom attribute (its name, key or id)."),
    "pattern": string(maxLength=255, description="For `name`: e.g. `{artist} - {title}`."),
}, required=("source",), closed=True)

TRACK: Schema = obj({"position": STR, "title": STR, "duration": STR})
ENRICHMENT_PROPS: dict[str, Schema] = {
    "artists": array(STR), "label": STR, "catalog_number": STR, "year": nullable(INT),
    "genre_ids": array(INT), "styles": array(STR), "format_details": STR, "tracklist": array(TRACK),
    "notes": STR, "images": array(STR), "featured": BOOL, "staff_pick": STR,
    "discogs_release_id": nullable(INT),
}
GENRE_ASSIGNMENT = obj({"id": INT, "name": STR, "slug": STR, "source": enum("ecs", "staff")})
DETAILS_PROPS: dict[str, Schema] = {
    "item_id": INT, "enriched": BOOL, **ENRICHMENT_PROPS, "genres": array(GENRE_ASSIGNMENT),
    "updated_at": nullable(DATETIME), "updated_by": nullable(STR),
}
NAME_BODY = request_obj({"name": string(minLength=1, maxLength=80)}, required=("name",))

SCHEMAS: dict[str, Schema] = {
    "ItemPhoto": obj({
        "id": INT, "item_id": INT, "variation_id": nullable(INT), "caption": STR, "width": INT, "height": INT,
        "bytes": INT, "source": enum("upload", "discogs"), "url": STR,
        "thumbnails": {"type": "object", "additionalProperties": STR},
        "ecs": obj({"status": enum("pending", "pushed", "failed", "off"), "image_id": nullable(STR),
                    "error": nullable(STR)}),
        "created_at": DATETIME, "created_by": STR,
    }, description="A staff photo: `url` is the full picture (at most 2,000 px, JPEG, no metadata), "
                   "`thumbnails` the square sizes the pages use."),
    "CatalogMapping": request_obj({
        "fields": request_obj({name: array(ref("CatalogMappingSource"), maxItems=3) for name in MAPPING_FIELDS},
                              closed=True, description="Record field → sources read in order; the first "
                                                       "with a value wins."),
        "genre": enum("categories", "root_category", "none"),
        "preset": string(maxLength=40),
    }, closed=True),
    "CatalogMappingSource": MAPPING_SOURCE,
    "CatalogMappingOverview": obj({
        "mapping": ref("CatalogMapping"), "saved": BOOL, "updated_at": nullable(STR), "updated_by": nullable(STR),
        "detected": ref("CatalogMapping"),
        "presets": {"type": "object", "additionalProperties": obj({"description": STR,
                                                                   "mapping": ref("CatalogMapping")})},
        "fields": {"type": "object", "additionalProperties": STR},
        "sources": {"type": "object", "additionalProperties": STR},
        "genre_sources": {"type": "object", "additionalProperties": STR},
        "choices": obj({"options": array(STR), "attributes": array(STR)}),
    }),
    "CatalogMappingPreviewRow": obj({
        "ecs_id": STR, "name": STR, "kind": STR, "genres": array(STR), "error": STR,
        **{name: STR for name in MAPPING_FIELDS}}, optional=("kind", "genres", "error", *MAPPING_FIELDS)),
    "ProductDetails": obj(DETAILS_PROPS, description="An item's staff enrichment (empty values when none)."),
    "ProductDetailsSaved": obj({**DETAILS_PROPS, "changed": array(STR)}),
    "EnrichmentInput": request_obj({
        "artists": array(string(maxLength=255), maxItems=20),
        "label": string(maxLength=255), "catalog_number": string(maxLength=64),
        "year": nullable(integer(minimum=1900)), "genre_ids": array(integer(minimum=1), maxItems=20),
        "styles": array(string(maxLength=80), maxItems=30), "format_details": string(maxLength=255),
        "tracklist": array(request_obj({"position": STR, "title": STR, "duration": STR}), maxItems=300),
        "notes": string(maxLength=10_000), "images": array(string(format="uri", maxLength=1000), maxItems=20),
        "featured": BOOL, "staff_pick": string(maxLength=2000),
        "discogs_release_id": nullable(integer(minimum=1, maximum=2**31 - 1)),
    }, closed=True, description="The whole enrichment: omitted fields are cleared; unknown fields → 422."),
    "DiscogsSearchResult": obj({
        "id": INT, "title": STR, "year": nullable(INT), "country": nullable(STR), "labels": array(STR),
        "catno": nullable(STR), "formats": array(STR), "genres": array(STR), "styles": array(STR),
        "thumb": nullable(STR), "uri": nullable(STR),
    }),
    "DiscogsRelease": obj({
        "id": INT, "title": STR, "artists": array(STR), "artist_display": STR, "year": nullable(INT),
        "country": nullable(STR), "labels": array(obj({"name": STR, "catno": STR})),
        "genres": array(STR), "styles": array(STR),
        "formats": array(obj({"name": STR, "qty": INT, "descriptions": array(STR), "text": STR})),
        "tracklist": array(obj({"position": STR, "title": STR, "duration": nullable(STR), "type": STR})),
        "images": array(obj({"uri": STR, "uri150": nullable(STR), "type": STR})),
        "notes": STR, "uri": nullable(STR),
    }),
    "Genre": obj({"id": INT, "name": STR, "slug": STR, "source": enum("ecs", "staff"), "editable": BOOL,
                  "items": integer(minimum=0), "staff_items": integer(minimum=0), "ecs_items": integer(minimum=0)}),
    "Format": obj({"id": INT, "name": STR, "slug": STR, "items": integer(minimum=0)}),
}

DISCOGS_ERRORS = (409, 422, 502, 503)

PHOTO_UPLOAD = {"type": "object", "required": ["file"], "properties": {
    "file": {"type": "string", "format": "binary",
             "description": "A JPEG, PNG or WebP (checked by content). Refused: other types, SVG, files with "
                            "hidden data or markup (polyglots), over STOREFRONT_PHOTO_MAX_BYTES (413) or "
                            "STOREFRONT_PHOTO_MAX_MEGAPIXELS."},
    "variation_id": {"type": "string", "pattern": "^[0-9]*$",
                     "description": "A variation of the item (one copy); omit for the release."},
    "caption": {"type": "string", "maxLength": 255}}}

OPERATIONS: list[Op] = [
    Op("GET", "/api/v1/staff/items/{item_id}/images", "listItemPhotos", "Staff: photos", "An item's staff photos",
       auth="staff", ok={200: obj({"images": array(ref("ItemPhoto"))})}),
    Op("POST", "/api/v1/staff/items/{item_id}/images", "uploadItemPhoto", "Staff: photos", "Upload a photo",
       auth="staff", body=PHOTO_UPLOAD, body_content_type="multipart/form-data", json_body_errors=False,
       ok={201: ref("ItemPhoto")}, errors=(413, 422),
       description="Checked by content with Pillow, re-encoded (EXIF, GPS and ICC stripped), cut to the page "
                   "sizes, stored, then sent to the ECS as a CatalogImage by a job (`ecs.status`). "
                   "Nothing is stored when it is refused. Audited."),
    Op("DELETE", "/api/v1/staff/items/{item_id}/images/{photo_id}", "deleteItemPhoto", "Staff: photos",
       "Remove a photo", auth="staff", ok={204: None},
       description="Its files go at once; its CatalogImage is deleted from the ECS by a job. Audited."),
    Op("GET", "/api/v1/staff/product-details/{item_id}", "getProductDetails", "Staff: catalog",
       "An item's enrichment", auth="staff", ok={200: ref("ProductDetails")},
       description="Deleted items too (staff may still fix them)."),
    Op("PUT", "/api/v1/staff/product-details/{item_id}", "replaceProductDetails", "Staff: catalog",
       "Replace an item's enrichment", auth="staff", body=ref("EnrichmentInput"),
       ok={200: ref("ProductDetailsSaved")}, errors=(422,),
       description="Omitted fields are cleared; 422 lists every bad field and nothing is saved. Audited."),
    Op("GET", "/api/v1/staff/discogs-search", "searchDiscogs", "Staff: catalog", "Search Discogs releases",
       auth="staff",
       query=(*(query_param(name, string(maxLength=200)) for name in ("q", "catno", "barcode", "artist", "title")),
              query_param("page", integer(minimum=1, maximum=100, default=1))),
       ok={200: obj({"results": array(ref("DiscogsSearchResult")),
                     "pagination": obj({"page": INT, "pages": INT, "items": INT})})},
       errors=DISCOGS_ERRORS,
       description="At least one criterion (else 422). 409 discogs_not_configured (no DISCOGS_TOKEN: "
                   "a setting, not an outage), 503 discogs_rate_limited, 502 discogs_unavailable."),
    Op("GET", "/api/v1/staff/product-details/{item_id}/discogs/{release_id}", "suggestFromDiscogs",
       "Staff: catalog", "A Discogs release and the enrichment it suggests", auth="staff",
       ok={200: obj({"release": ref("DiscogsRelease"), "suggested": obj(ENRICHMENT_PROPS),
                     "notes": array(STR)})},
       errors=(409, 422, 502, 503),
       description="Nothing is saved: review the suggestion, then PUT it. 422 when Discogs refuses the id; "
                   "409 discogs_not_configured."),
    # --- genres & formats ---------------------------------------------------------------------
    Op("GET", "/api/v1/staff/genres", "listGenres", "Staff: catalog", "Genres with usage counts",
       auth="staff", ok={200: obj({"genres": array(ref("Genre"))})}),
    Op("POST", "/api/v1/staff/genres", "createGenre", "Staff: catalog", "Create a staff genre", auth="staff",
       body=NAME_BODY, ok={201: ref("Genre")}, errors=(409, 422), description="409 name_taken."),
    Op("PUT", "/api/v1/staff/genres/{genre_id}", "renameGenre", "Staff: catalog", "Rename a staff genre",
       auth="staff", body=NAME_BODY, ok={200: ref("Genre")}, errors=(409, 422),
       description="409 genre_managed_by_ecs for genres from the commerce system, name_taken for duplicates."),
    Op("DELETE", "/api/v1/staff/genres/{genre_id}", "deleteGenre", "Staff: catalog", "Delete a genre",
       auth="staff", query=(query_param("replace_with", integer(minimum=1, maximum=2**31 - 1),
                                        "A genre id that takes over the deleted genre's items."),),
       ok={200: obj({"deleted": INT, "items_moved": integer(minimum=0), "replaced_with": nullable(INT)})},
       errors=(409, 422), description="409 genre_in_use unless replace_with is given."),
    Op("GET", "/api/v1/staff/formats", "listFormats", "Staff: catalog", "Formats with usage counts",
       auth="staff", ok={200: obj({"formats": array(ref("Format"))})}),
    Op("POST", "/api/v1/staff/formats", "createFormat", "Staff: catalog", "Create a format", auth="staff",
       body=request_obj({"name": string(minLength=1, maxLength=40)}, required=("name",)),
       ok={201: ref("Format")}, errors=(409, 422)),
    Op("PUT", "/api/v1/staff/formats/{format_id}", "renameFormat", "Staff: catalog", "Rename a format",
       auth="staff", body=request_obj({"name": string(minLength=1, maxLength=40)}, required=("name",)),
       ok={200: ref("Format")}, errors=(409, 422)),
    Op("DELETE", "/api/v1/staff/formats/{format_id}", "deleteFormat", "Staff: catalog", "Delete a format",
       auth="staff", ok={200: obj({"deleted": INT})}),
    # --- field mapping ------------------------------------------------------------------------
    Op("GET", "/api/v1/staff/catalog-mapping", "getCatalogMapping", "Staff: catalog mapping",
       "The field mapping in force, the detected one, the presets and the choices", auth="staff",
       ok={200: ref("CatalogMappingOverview")},
       description="Before anything is saved `mapping` is what was detected from the stored catalog."),
    Op("POST", "/api/v1/staff/catalog-mapping/preview", "previewCatalogMapping", "Staff: catalog mapping",
       "The first 20 stored items mapped with a proposed mapping", auth="staff", body=ref("CatalogMapping"),
       ok={200: obj({"items": array(ref("CatalogMappingPreviewRow"))})}, errors=(422,),
       description="Nothing is saved. 422 lists every problem by field."),
    Op("PUT", "/api/v1/staff/catalog-mapping", "saveCatalogMapping", "Staff: catalog mapping",
       "Save the field mapping and re-map the catalog", auth="admin", body=ref("CatalogMapping"),
       ok={200: obj({"mapping": ref("CatalogMapping"), "remap_run": nullable(ref("SyncRun"))})}, errors=(422,),
       description="The stored ECS objects are mapped again by a `remap` sync run (no download); "
                   "`remap_run` is null when another sync is running (the re-map follows it). Audited."),
]
