"""Finding a centre by name, with or without Vietnamese diacritics ("phu xuan" → "Phú Xuân").

Pure: `fold` reduces text to lower-case ASCII-ish letters (đ → d, tone and
vowel marks dropped), `search` ranks the centres whose folded name (or id)
holds every word of the folded query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

# Administrative prefixes a person often leaves out ("Phú Xuân" for "Phường Phú Xuân").
PREFIXES = ("phuong ", "xa ", "dac khu ", "thi tran ")
_SPACE = re.compile(r"[\s\-_.,·/]+")


class Candidate(NamedTuple):
    id: str
    name: str


def fold(text: str) -> str:
    """Lower case, đ/Đ → d, marks removed, separators collapsed to one space."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text.lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", bare).strip()


def _bare_name(folded: str) -> str:
    for prefix in PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix):]
    return folded


def _rank(target: str, q: str, words: list[str]) -> int | None:
    """0 exact, 1 starts with the query, 2 the query at a word start, 3 every query word
    starts some word; None: no match."""
    if target == q:
        return 0
    if target.startswith(q):
        return 1
    if f" {q}" in f" {target}":
        return 2
    names = target.split(" ")
    if all(any(n.startswith(w) for n in names) for w in words):
        return 3
    return None


def search(candidates: Iterable[Candidate], query: str, limit: int = 50) -> list[Candidate]:
    """Centres matching `query`, best first; an empty query matches nothing.

    Names are compared folded and, unless the query itself starts with one
    ("xa phu"), without their administrative prefix, so "phu" finds Phú Xuân
    but not every "Phường". A query that starts a centre's id finds it too.
    Order: exact name, name starting with the query, the query at a word
    start, every query word starting a word; ties by name without its prefix.
    """
    q = fold(query)
    if not q:
        return []
    words = q.split(" ")
    full = any(q.startswith(prefix) or q == prefix.strip() for prefix in PREFIXES)
    ranked: list[tuple[int, str, Candidate]] = []
    for cand in candidates:
        name = fold(cand.name)
        bare = _bare_name(name)
        rank = 0 if cand.id.startswith(q) else _rank(name if full else bare, q, words)
        if rank is not None:
            ranked.append((rank, bare, cand))
    ranked.sort(key=lambda r: (r[0], r[1], r[2].id))
    return [c for _, _, c in ranked[:limit]]
