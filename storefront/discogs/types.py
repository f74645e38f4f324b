"""Normalized Discogs results (plain dataclasses, not database models). URLs are absolute https or None."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Artist:
    """A credited artist: ``name`` for display (Discogs' " (2)" suffix stripped), ``raw_name`` as Discogs has it.

    ``join`` is the separator Discogs puts after this artist ("&", ",", "Feat." …); ``anv`` the name variation."""

    id: int | None
    name: str
    raw_name: str
    anv: str = ""
    join: str = ""
    role: str = ""


@dataclass(frozen=True, slots=True)
class LabelRef:
    """A label on a release with its catalog number; ``name`` stripped of the " (4)" suffix."""

    id: int | None
    name: str
    raw_name: str
    catno: str = ""


@dataclass(frozen=True, slots=True)
class Format:
    """A physical/digital format: ``qty`` items of ``name`` ("Vinyl"), e.g. descriptions ['12"', "33 ⅓ RPM"]."""

    name: str
    qty: int = 1
    descriptions: list[str] = field(default_factory=list)
    text: str = ""


@dataclass(frozen=True, slots=True)
class Track:
    """One tracklist row; ``kind`` is "track", "heading" or "index" (Discogs' ``type_``)."""

    position: str
    title: str
    duration: str | None = None
    kind: str = "track"
    artists: list[Artist] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Image:
    """An image: full size ``uri`` and 150px ``uri150``; ``type`` is "primary" or "secondary"."""

    uri: str
    uri150: str | None
    type: str
    width: int | None
    height: int | None


def join_artists(artists: list[Artist]) -> str:
    """Display string for a credit list, using Discogs' joins: "Trash80 & Dma-Sc"."""
    out: list[str] = []
    for index, artist in enumerate(artists):
        out.append(artist.anv or artist.name)
        if index < len(artists) - 1:
            join = artist.join.strip()
            out.append(", " if join in ("", ",") else f" {join} ")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Release:
    """A Discogs release, normalized. ``uri`` is its page on discogs.com."""

    id: int
    title: str
    artists: list[Artist] = field(default_factory=list)
    labels: list[LabelRef] = field(default_factory=list)
    year: int | None = None
    country: str | None = None
    genres: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    formats: list[Format] = field(default_factory=list)
    tracklist: list[Track] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    notes: str = ""
    released: str | None = None
    uri: str | None = None
    thumb: str | None = None
    master_id: int | None = None

    @property
    def artist_display(self) -> str:
        """The credit line, e.g. "Trash80 & Dma-Sc" (Discogs' joins, name variations, suffixes stripped)."""
        return join_artists(self.artists)

    @property
    def catalog_numbers(self) -> list[str]:
        """Distinct catalog numbers, in label order; Discogs' "none" placeholder left out."""
        return list(dict.fromkeys(lbl.catno for lbl in self.labels if lbl.catno and lbl.catno.lower() != "none"))

    @property
    def primary_image(self) -> Image | None:
        """The "primary" image, else the first, else None."""
        return next((i for i in self.images if i.type == "primary"), self.images[0] if self.images else None)


@dataclass(frozen=True, slots=True)
class Master:
    """A master release (the work all its versions share)."""

    id: int
    title: str
    artists: list[Artist] = field(default_factory=list)
    year: int | None = None
    main_release: int | None = None
    genres: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    tracklist: list[Track] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    uri: str | None = None

    @property
    def artist_display(self) -> str:
        """Credit line, as for a release."""
        return join_artists(self.artists)


@dataclass(frozen=True, slots=True)
class Label:
    """A record label."""

    id: int
    name: str
    raw_name: str
    profile: str = ""
    urls: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    sublabels: list[LabelRef] = field(default_factory=list)
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One database search hit. ``labels``/``formats`` are names; ``thumb``/``cover_image`` absolute or None."""

    id: int
    type: str
    title: str
    year: int | None = None
    country: str | None = None
    formats: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    catno: str | None = None
    thumb: str | None = None
    genres: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    cover_image: str | None = None
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class SearchResults:
    """One page of search hits with Discogs' pagination."""

    results: list[SearchResult]
    page: int
    pages: int
    items: int
    per_page: int = 0
