"""Postal addresses without a database: the country list, cleaning input, display lines and Square's shape.

    clean = clean_address(request.form)      # dict of the 8 fields, or ValidationError naming each bad one
    lines = format_address(clean)            # ["Ada Lovelace", "12 Marylebone Road", "London", "NW1 5LR", ...]
    square = to_square_address(clean)        # Square's Address object (checkout pre-fill)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from storefront.core.errors import FieldError, ValidationError

# ISO 3166-1 alpha-2 code → English short name, all 249 officially assigned codes. Generated from the
# Debian iso-codes data (the source pycountry also uses), preferring the common name where it has
# one ("Bolivia", "South Korea", "Taiwan"). Square's Country enum accepts every one of these codes.
COUNTRIES: dict[str, str] = {
    "AD": "Andorra", "AE": "United Arab Emirates", "AF": "Afghanistan", "AG": "Antigua and Barbuda", "AI": "Anguilla",
    "AL": "Albania", "AM": "Armenia", "AO": "Angola", "AQ": "Antarctica", "AR": "Argentina", "AS": "American Samoa",
    "AT": "Austria", "AU": "Australia", "AW": "Aruba", "AX": "Åland Islands", "AZ": "Azerbaijan",
    "BA": "Bosnia and Herzegovina", "BB": "Barbados", "BD": "Bangladesh", "BE": "Belgium", "BF": "Burkina Faso",
    "BG": "Bulgaria", "BH": "Bahrain", "BI": "Burundi", "BJ": "Benin", "BL": "Saint Barthélemy", "BM": "Bermuda",
    "BN": "Brunei Darussalam", "BO": "Bolivia", "BQ": "Bonaire, Sint Eustatius and Saba", "BR": "Brazil",
    "BS": "Bahamas", "BT": "Bhutan", "BV": "Bouvet Island", "BW": "Botswana", "BY": "Belarus", "BZ": "Belize",
    "CA": "Canada", "CC": "Cocos (Keeling) Islands", "CD": "Congo, The Democratic Republic of the",
    "CF": "Central African Republic", "CG": "Congo", "CH": "Switzerland", "CI": "Côte d'Ivoire", "CK": "Cook Islands",
    "CL": "Chile", "CM": "Cameroon", "CN": "China", "CO": "Colombia", "CR": "Costa Rica", "CU": "Cuba",
    "CV": "Cabo Verde", "CW": "Curaçao", "CX": "Christmas Island", "CY": "Cyprus", "CZ": "Czechia", "DE": "Germany",
    "DJ": "Djibouti", "DK": "Denmark", "DM": "Dominica", "DO": "Dominican Republic", "DZ": "Algeria", "EC": "Ecuador",
    "EE": "Estonia", "EG": "Egypt", "EH": "Western Sahara", "ER": "Eritrea", "ES": "Spain", "ET": "Ethiopia",
    "FI": "Finland", "FJ": "Fiji", "FK": "Falkland Islands (Malvinas)", "FM": "Micronesia, Federated States of",
    "FO": "Faroe Islands", "FR": "France", "GA": "Gabon", "GB": "United Kingdom", "GD": "Grenada", "GE": "Georgia",
    "GF": "French Guiana", "GG": "Guernsey", "GH": "Ghana", "GI": "Gibraltar", "GL": "Greenland", "GM": "Gambia",
    "GN": "Guinea", "GP": "Guadeloupe", "GQ": "Equatorial Guinea", "GR": "Greece",
    "GS": "South Georgia and the South Sandwich Islands", "GT": "Guatemala", "GU": "Guam", "GW": "Guinea-Bissau",
    "GY": "Guyana", "HK": "Hong Kong", "HM": "Heard Island and McDonald Islands", "HN": "Honduras", "HR": "Croatia",
    "HT": "Haiti", "HU": "Hungary", "ID": "Indonesia", "IE": "Ireland", "IL": "Israel", "IM": "Isle of Man",
    "IN": "India", "IO": "British Indian Ocean Territory", "IQ": "Iraq", "IR": "Iran", "IS": "Iceland", "IT": "Italy",
    "JE": "Jersey", "JM": "Jamaica", "JO": "Jordan", "JP": "Japan", "KE": "Kenya", "KG": "Kyrgyzstan",
    "KH": "Cambodia", "KI": "Kiribati", "KM": "Comoros", "KN": "Saint Kitts and Nevis", "KP": "North Korea",
    "KR": "South Korea", "KW": "Kuwait", "KY": "Cayman Islands", "KZ": "Kazakhstan", "LA": "Laos", "LB": "Lebanon",
    "LC": "Saint Lucia", "LI": "Liechtenstein", "LK": "Sri Lanka", "LR": "Liberia", "LS": "Lesotho",
    "LT": "Lithuania", "LU": "Luxembourg", "LV": "Latvia", "LY": "Libya", "MA": "Morocco", "MC": "Monaco",
    "MD": "Moldova", "ME": "Montenegro", "MF": "Saint Martin (French part)", "MG": "Madagascar",
    "MH": "Marshall Islands", "MK": "North Macedonia", "ML": "Mali", "MM": "Myanmar", "MN": "Mongolia", "MO": "Macao",
    "MP": "Northern Mariana Islands", "MQ": "Martinique", "MR": "Mauritania", "MS": "Montserrat", "MT": "Malta",
    "MU": "Mauritius", "MV": "Maldives", "MW": "Malawi", "MX": "Mexico", "MY": "Malaysia", "MZ": "Mozambique",
    "NA": "Namibia", "NC": "New Caledonia", "NE": "Niger", "NF": "Norfolk Island", "NG": "Nigeria", "NI": "Nicaragua",
    "NL": "Netherlands", "NO": "Norway", "NP": "Nepal", "NR": "Nauru", "NU": "Niue", "NZ": "New Zealand",
    "OM": "Oman", "PA": "Panama", "PE": "Peru", "PF": "French Polynesia", "PG": "Papua New Guinea",
    "PH": "Philippines", "PK": "Pakistan", "PL": "Poland", "PM": "Saint Pierre and Miquelon", "PN": "Pitcairn",
    "PR": "Puerto Rico", "PS": "Palestine, State of", "PT": "Portugal", "PW": "Palau", "PY": "Paraguay",
    "QA": "Qatar", "RE": "Réunion", "RO": "Romania", "RS": "Serbia", "RU": "Russian Federation", "RW": "Rwanda",
    "SA": "Saudi Arabia", "SB": "Solomon Islands", "SC": "Seychelles", "SD": "Sudan", "SE": "Sweden",
    "SG": "Singapore", "SH": "Saint Helena, Ascension and Tristan da Cunha", "SI": "Slovenia",
    "SJ": "Svalbard and Jan Mayen", "SK": "Slovakia", "SL": "Sierra Leone", "SM": "San Marino", "SN": "Senegal",
    "SO": "Somalia", "SR": "Suriname", "SS": "South Sudan", "ST": "Sao Tome and Principe", "SV": "El Salvador",
    "SX": "Sint Maarten (Dutch part)", "SY": "Syria", "SZ": "Eswatini", "TC": "Turks and Caicos Islands",
    "TD": "Chad", "TF": "French Southern Territories", "TG": "Togo", "TH": "Thailand", "TJ": "Tajikistan",
    "TK": "Tokelau", "TL": "Timor-Leste", "TM": "Turkmenistan", "TN": "Tunisia", "TO": "Tonga", "TR": "Türkiye",
    "TT": "Trinidad and Tobago", "TV": "Tuvalu", "TW": "Taiwan", "TZ": "Tanzania", "UA": "Ukraine", "UG": "Uganda",
    "UM": "United States Minor Outlying Islands", "US": "United States", "UY": "Uruguay", "UZ": "Uzbekistan",
    "VA": "Holy See (Vatican City State)", "VC": "Saint Vincent and the Grenadines", "VE": "Venezuela",
    "VG": "Virgin Islands, British", "VI": "Virgin Islands, U.S.", "VN": "Vietnam", "VU": "Vanuatu",
    "WF": "Wallis and Futuna", "WS": "Samoa", "YE": "Yemen", "YT": "Mayotte", "ZA": "South Africa", "ZM": "Zambia",
    "ZW": "Zimbabwe",
}


ADDRESS_FIELDS: tuple[str, ...] = ("name", "line1", "line2", "city", "region", "postcode", "country", "phone")
REQUIRED_FIELDS = frozenset({"name", "line1", "city", "country"})
MAX_LENGTHS: dict[str, int] = {"name": 120, "line1": 200, "line2": 200, "city": 100, "region": 100,
                               "postcode": 20, "country": 2, "phone": 40}
LABELS: dict[str, str] = {"name": "Full name", "line1": "Address line 1", "line2": "Address line 2",
                          "city": "Town or city", "region": "State, county or region", "postcode": "Postcode or ZIP",
                          "country": "Country", "phone": "Phone"}
MISSING_MESSAGES: dict[str, str] = {"name": "Enter the recipient's name.", "line1": "Enter the street address.",
                                    "city": "Enter the town or city.", "country": "Choose a country."}

# Countries whose postcodes contain letters; stored upper-cased (sw1a 1aa → SW1A 1AA).
UPPERCASE_POSTCODE_COUNTRIES = frozenset({
    "GB", "GG", "JE", "IM", "GI", "FK", "SH", "GS", "PN", "TC", "IO", "VG", "AI", "MS", "KY", "BM", "LC", "VC",
    "CA", "NL", "IE", "MT", "AR", "BN", "SZ", "SO", "PE", "KZ",
})
# Where the outward/inward split is fixed, a missing space is put back (K1A0B1 → K1A 0B1).
_POSTCODE_INWARD = {"GB": 3, "GG": 3, "JE": 3, "IM": 3, "CA": 3, "NL": 2}
_POSTCODE_CHARS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]*$")
_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]+$")
_SPACES = re.compile(r"\s+")
# Invisible characters that reorder text: harmless in a form, misleading on a printed label.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# How the town line is laid out: "city_first" (US, AU: "Springfield, IL 62704"),
# "postcode_first" (most of Europe: "10115 Berlin"), "separate" (UK, Ireland: postcode on its own line).
_POSTCODE_FIRST = frozenset({
    "AT", "BE", "BG", "CH", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IS", "IT", "LI", "LT",
    "LU", "MC", "NL", "NO", "PL", "PT", "RO", "RS", "SE", "SI", "SK", "TR", "IL", "MX", "BR", "AR", "CL",
})
_POSTCODE_SEPARATE = frozenset({"GB", "GG", "JE", "IM", "IE", "GI", "FK", "SH"})


def country_choices() -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name the way people read them (Åland next to Albania)."""
    def key(pair: tuple[str, str]) -> str:
        return unicodedata.normalize("NFKD", pair[1]).encode("ascii", "ignore").decode().casefold()

    return sorted(COUNTRIES.items(), key=key)


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS for ch in value)


def _text(data: Mapping[str, Any], name: str, errors: list[FieldError]) -> str:
    """One field as tidy text: NFC, surrounding and repeated spaces removed; errors appended."""
    raw = data.get(name)
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        errors.append(FieldError(name, f"{LABELS[name]} must be text."))
        return ""
    if _has_control_characters(raw):
        errors.append(FieldError(name, f"{LABELS[name]} contains control characters (such as line breaks)."))
        return ""
    value = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    if len(value) > MAX_LENGTHS[name]:
        message = ("Choose a country from the list." if name == "country"
                   else f"{LABELS[name]} can be at most {MAX_LENGTHS[name]} characters.")
        errors.append(FieldError(name, message))
        return ""
    if not value and name in REQUIRED_FIELDS:
        errors.append(FieldError(name, MISSING_MESSAGES[name]))
    return value


def _country(value: str, errors: list[FieldError]) -> str:
    code = value.upper()
    if code and code not in COUNTRIES:
        errors.append(FieldError("country", "Choose a country from the list."))
    return code


def _postcode(value: str, country: str, errors: list[FieldError]) -> str:
    if not value:
        return ""
    if not _POSTCODE_CHARS.match(value):
        errors.append(FieldError("postcode", "Postcode can only contain letters, digits, spaces and hyphens."))
        return value
    if country not in UPPERCASE_POSTCODE_COUNTRIES:
        return value
    value = value.upper()
    inward = _POSTCODE_INWARD.get(country)
    if inward and " " not in value and inward < len(value) <= inward + 4:
        value = f"{value[:-inward]} {value[-inward:]}"
    return value


def _phone(value: str, errors: list[FieldError]) -> str:
    digits = sum(ch.isdigit() for ch in value)
    if value and (not _PHONE_CHARS.match(value) or not 5 <= digits <= 20):
        errors.append(FieldError("phone", "Enter a phone number: digits, spaces and + ( ) - . / only."))
    return value


def clean_address(data: Mapping[str, Any]) -> dict[str, str]:
    """The eight address fields, tidied; ``ValidationError("Check the address.")`` naming each bad field.

    Keys other than the eight are ignored; a missing or None field is "". Country is an ISO 3166-1
    alpha-2 code (any case); postcodes of countries that use letters are upper-cased.
    """
    errors: list[FieldError] = []
    clean = {name: _text(data, name, errors) for name in ADDRESS_FIELDS}
    clean["country"] = _country(clean["country"], errors)
    clean["postcode"] = _postcode(clean["postcode"], clean["country"], errors)
    clean["phone"] = _phone(clean["phone"], errors)
    if errors:
        raise ValidationError("Check the address.", details=errors)
    return clean


def _town_lines(address: Mapping[str, Any]) -> list[str]:
    city, region, postcode = (str(address.get(k) or "") for k in ("city", "region", "postcode"))
    country = str(address.get("country") or "")
    if country in _POSTCODE_SEPARATE:
        return [city, region, postcode]
    if country in _POSTCODE_FIRST:
        return [" ".join(p for p in (postcode, city) if p), region]
    region_postcode = " ".join(p for p in (region, postcode) if p)
    return [", ".join(p for p in (city, region_postcode) if p)]


def format_address(address: Mapping[str, Any]) -> list[str]:
    """The address as printed on a label: name, street lines, the town line(s) in the country's
    usual order, the country name. Empty parts are left out; the phone is not an address line."""
    country = str(address.get("country") or "")
    lines = [str(address.get("name") or ""), str(address.get("line1") or ""), str(address.get("line2") or ""),
             *_town_lines(address), COUNTRIES.get(country, country)]
    return [line for line in lines if line]


def split_name(name: str) -> tuple[str, str]:
    """("Ludwig", "van Beethoven"): the first word is the given name, the rest the family name."""
    first, _, last = name.strip().partition(" ")
    return first, last.strip()


def to_square_address(address: Mapping[str, Any]) -> dict[str, str]:
    """Square's ``Address`` object (checkout pre-fill); fields that are empty are left out."""
    first_name, last_name = split_name(str(address.get("name") or ""))
    square = {
        "address_line_1": address.get("line1"),
        "address_line_2": address.get("line2"),
        "locality": address.get("city"),
        "administrative_district_level_1": address.get("region"),
        "postal_code": address.get("postcode"),
        "country": address.get("country"),
        "first_name": first_name,
        "last_name": last_name,
    }
    return {key: str(value) for key, value in square.items() if value}
