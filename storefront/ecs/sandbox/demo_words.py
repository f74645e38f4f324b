"""Word lists the demo record store is invented from (no network, no real catalog data)."""

from __future__ import annotations

GENRES: tuple[str, ...] = (
    "Jazz", "Soul", "Funk", "Hip Hop", "Electronic", "Rock", "Punk", "Reggae", "Folk",
    "Classical", "Ambient", "Blues", "Disco", "Latin", "Country", "World",
)
EVENT_CATEGORY = "Event Space"

FIRST_NAMES: tuple[str, ...] = (
    "Mara", "Otis", "Lena", "Cyrus", "Ada", "Felix", "Nina", "Rafael", "Ines", "Theo", "Juno", "Silas",
    "Odette", "Marlon", "Priya", "Emeka", "Greta", "Luca", "Yuki", "Solomon", "Hattie", "Dario", "Esme",
    "Kofi", "Bettina", "Ansel", "Calla", "Idris", "Wren", "Ravi", "Della", "Tomas", "Ilse", "Booker",
    "Mirela", "Augustin", "Noor", "Clement", "Sunny", "Vera", "Hollis", "Amara", "Lionel", "Pearl",
    "Jonah", "Rosalind", "Ezra", "Fumiko", "Cass", "Winslow",
)
LAST_NAMES: tuple[str, ...] = (
    "Quinlan", "Abernathy", "Okafor", "Castellano", "Lindqvist", "Marchetti", "Delacroix", "Holloway",
    "Nakamura", "Ferreira", "Oyelaran", "Whitcombe", "Brandt", "Salcedo", "Kovac", "Achterberg",
    "Mbeki", "Fairweather", "Rasmussen", "Tremblay", "Vasquez", "Ellery", "Bergstrom", "Adeyemi",
    "Moreau", "Thistlewood", "Calloway", "Ishikawa", "Lowell", "Petrakis", "Santangelo", "Duvall",
    "Greenhalgh", "Okonkwo", "Haverford", "Lindgren", "Montague", "Sorensen", "Valdez", "Winterbourne",
)
ADJECTIVES: tuple[str, ...] = (
    "Velvet", "Electric", "Midnight", "Golden", "Silent", "Crimson", "Hollow", "Burning", "Gentle",
    "Wandering", "Neon", "Paper", "Broken", "Distant", "Lucky", "Secret", "Restless", "Cosmic", "Rusty",
    "Blue", "Wild", "Quiet", "Faded", "Honey", "Iron", "Lunar", "Sunday", "Crooked", "Tender", "Sacred",
    "Static", "Amber", "Frozen", "Humble", "Northern", "Southern", "Liquid", "Second", "Endless", "Low",
)
NOUNS: tuple[str, ...] = (
    "Owl", "River", "Lantern", "Harbor", "Orchard", "Signal", "Mirror", "Comet", "Garden", "Engine",
    "Feather", "Meadow", "Tide", "Canyon", "Satellite", "Ember", "Parade", "Cathedral", "Window",
    "Horizon", "Compass", "Monsoon", "Glacier", "Carousel", "Pylon", "Sparrow", "Tangerine", "Harmony",
    "Falcon", "Nebula", "Atlas", "Fountain", "Lighthouse", "Voltage", "Moth", "Prism", "Tremor",
    "Boulevard", "Ritual", "Circuit",
)
ENSEMBLES: tuple[str, ...] = (
    "Trio", "Quartet", "Quintet", "Sextet", "Orchestra", "Collective", "Ensemble", "Band",
    "Sound System", "Experience", "Arkestra", "Revue",
)
PLACES: tuple[str, ...] = (
    "Lagos", "Kingston", "Detroit", "Lisbon", "Osaka", "Bristol", "Havana", "Addis", "Berlin", "Memphis",
    "Marseille", "Bogotá", "Reykjavík", "Chicago", "Naples", "Dakar", "Montréal", "Glasgow",
)
LABEL_SUFFIXES: tuple[str, ...] = (
    "Records", "Recordings", "Sound", "Music", "Tapes", "Disques", "Editions", "Phonograph Co.",
)
FORMAT_PRICES: dict[str, tuple[int, int]] = {
    # format name → (lowest, highest) price in whole dollars; the cents are always 99
    "LP": (18, 34),
    "2xLP": (28, 49),
    "CD": (9, 17),
    '7"': (5, 9),
    '12"': (12, 19),
    "Cassette": (8, 12),
}
PRIMARY_FORMATS: tuple[str, ...] = ("LP", "LP", "LP", "LP", "2xLP", "CD", "CD", '7"', '12"', "Cassette")
EXTRA_FORMATS: tuple[str, ...] = ("CD", "Cassette", "2xLP", "LP")
FORMAT_SKU_SUFFIX: dict[str, str] = {"LP": "LP", "2xLP": "2LP", "CD": "CD", '7"': "7", '12"': "12", "Cassette": "MC"}
DESCRIPTION_OPENERS: tuple[str, ...] = (
    "A {adj} {genre} record from {year}, first issued on {label}.",
    "{label} reissue of the {year} {genre} set that collectors still argue about.",
    "Recorded over three nights in {place} in {year}; {adj} and unhurried.",
    "The {year} debut: {adj} {genre} with a rhythm section that never sits still.",
    "Long out of print, this {year} {genre} album returns on {label}.",
)
DESCRIPTION_CLOSERS: tuple[str, ...] = (
    "Pressed on heavyweight vinyl with the original artwork.",
    "Includes a printed inner sleeve with liner notes.",
    "Remastered from the original tapes.",
    "A staff favourite in the shop this month.",
    "Sound check: side two, track one.",
    "Comes with a download code.",
)
EVENT_ITEMS: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...] = (
    ("Evening hire", "Hire the shop floor after hours: sound system, decks and bar area for up to 80 guests.",
     (("Weeknight", 25000), ("Weekend", 40000))),
    ("Daytime hire", "The shop's back room for rehearsals, shoots or meetings, 10:00–17:00.", (("Full day", 15000),)),
    ("Listening session", "A hosted album listening session on the big system, drinks included.",
     (("Per person", 1500),)),
    ("DJ workshop", "Two hours on the shop decks with one of our resident selectors.", (("Per person", 6000),)),
)
