"""The registry of centres, built from the official `vietnam-provinces` data.

Every commune, ward and special zone (3,321) has a Public Administration
Service Centre whose id is its official 5-digit ward code; each of the 34
provinces has a provincial centre whose id is its 2-digit province code. A
deployment's site file adds coordinates (and, on real sites, endpoints).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from vietnam_provinces import Province, VietNamDivisionType, Ward

from config.settings import SiteFile

KIND_PROVINCIAL = "tỉnh"  # the provincial centre's kind


@dataclass(frozen=True, slots=True)
class ProvinceInfo:
    code: int
    name: str
    kind: str  # 'tỉnh' or 'thành phố trung ương'
    codename: str


@dataclass(frozen=True, slots=True)
class Centre:
    """A service centre: official id, names, province and, if known, where it is."""

    id: str
    name: str
    kind: str  # 'xã', 'phường', 'đặc khu', or 'tỉnh' for a provincial centre
    province_code: int
    province_name: str
    codename: str
    lat: float | None = None
    lon: float | None = None
    coords_approximate: bool = False
    url: str | None = None

    @property
    def has_coords(self) -> bool:
        return self.lat is not None and self.lon is not None


def commune_id(code: int) -> str:
    return f"{code:05d}"


def provincial_id(code: int) -> str:
    return f"{code:02d}"


@cache
def provinces() -> dict[int, ProvinceInfo]:
    """All 34 provinces and centrally-run cities by official code."""
    return {
        int(p.code): ProvinceInfo(int(p.code), p.name, str(p.division_type.value), p.codename)
        for p in sorted(Province.iter_all(), key=lambda p: int(p.code))
    }


@cache
def all_centres() -> tuple[Centre, ...]:
    """Every commune centre (3,321) then every provincial centre (34), without coordinates."""
    provs = provinces()
    communes = [
        Centre(
            id=commune_id(int(w.code)),
            name=w.name,
            kind=str(w.division_type.value),
            province_code=int(w.province_code),
            province_name=provs[int(w.province_code)].name,
            codename=w.codename,
        )
        for w in sorted(Ward.iter_all(), key=lambda w: int(w.code))
    ]
    provincial = [
        Centre(
            id=provincial_id(p.code),
            name=f"Trung tâm PVHCC {p.name}",
            kind=KIND_PROVINCIAL,
            province_code=p.code,
            province_name=p.name,
            codename=p.codename,
        )
        for p in provs.values()
    ]
    return tuple(communes + provincial)


def select(scope: str, province: int | None = None, *,
           include_provincial: bool = False) -> list[Centre]:
    """The centres of one province (communes, optionally its provincial centre) or the nation.

    The national selection is every commune and every provincial centre (3,355).
    """
    if scope == "national":
        return list(all_centres())
    if province not in provinces():
        raise ValueError(f"unknown province code {province!r}")
    return [
        c for c in all_centres()
        if c.province_code == province and (include_provincial or c.kind != KIND_PROVINCIAL)
    ]


def fleet(spec: str) -> list[Centre]:
    """Centres for a fleet spec: 'hue', 'national' or 'province:<code>'."""
    if spec == "hue":
        return select("province", 46)
    if spec == "national":
        return select("national")
    if spec.startswith("province:"):
        return select("province", int(spec.split(":", 1)[1]))
    raise ValueError(f"fleet must be hue, national or province:<code>, not {spec!r}")


def apply_site(centres: list[Centre], site: SiteFile | None) -> list[Centre]:
    """Centres with coordinates and URLs from a site file; unknown ids are ignored here.

    (`collectors.commands.config_check` reports site entries that name no centre.)
    """
    if site is None:
        return centres
    out = []
    for c in centres:
        entry = site.centres.get(c.id)
        if entry is None:
            out.append(c)
            continue
        out.append(replace(c, lat=entry.lat, lon=entry.lon, url=entry.url,
                           coords_approximate=site.coordinates_approximate))
    return out


def watched(centres: list[Centre], site: SiteFile | None) -> list[Centre]:
    """The centres a site file leaves watched: without `enabled: false` and, with
    `watch: listed`, listed in it."""
    if site is None:
        return centres
    entries = site.centres
    if site.watch == "listed":
        return [c for c in centres if c.id in entries and entries[c.id].enabled]
    return [c for c in centres if c.id not in entries or entries[c.id].enabled]


def unknown_site_ids(site: SiteFile) -> list[str]:
    known = {c.id for c in all_centres()}
    return sorted(i for i in site.centres if i not in known)


DIVISION_KINDS = tuple(str(t.value) for t in VietNamDivisionType
                       if t not in (VietNamDivisionType.TINH,
                                    VietNamDivisionType.THANH_PHO_TRUNG_UONG))
