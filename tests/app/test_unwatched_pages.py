"""A centre the site file disables, though the store holds its past polls: the pages show
it nowhere (not as down, not as stale), through Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import hue_centres
from tests.fixtures.personas import UNREACHABLE, assign_personas

BRIEFING_AT = "2025-07-03T10:00"
PERSONAS = assign_personas(hue_centres())
# An unreachable mountain commune (down in the seeded history), and a healthy ward.
DISABLED = next(c for c in hue_centres() if PERSONAS[c.id] == UNREACHABLE)
KEPT = hue_centres()[0]


def site_config(tmp_path: Path, disable: bool = True) -> Path:
    """A config folder whose site file disables DISABLED (or not); its ioc.yaml."""
    tmp_path = tmp_path / ("off" if disable else "on")
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "ioc.yaml").write_text(
        "deployment: {scope: province, province: 46, site_file: site.yaml}\n", encoding="utf-8")
    off = f'"{DISABLED.id}": {{enabled: {str(not disable).lower()}}}'
    (tmp_path / "site.yaml").write_text(f"province: 46\ncentres: {{{off}}}\n",
                                        encoding="utf-8")
    return tmp_path / "ioc.yaml"


def test_commune_page_does_not_open_a_centre_the_site_file_disables(
        seeded_store, page, tmp_path):
    seeded = seeded_store(hours=1)
    url = seeded.store.engine.url.render_as_string(hide_password=False)
    gone = page(url, "app_pages/commune.py", config=site_config(tmp_path), centre=DISABLED.id,
                at=BRIEFING_AT)
    kept = page(url, "app_pages/commune.py", config=site_config(tmp_path), centre=KEPT.id,
                at=BRIEFING_AT)
    assert not gone.exception and not gone.error
    assert "Không có trung tâm nào mang mã" in " ".join(w.value for w in gone.warning)
    assert kept.header[0].value == KEPT.name


def test_finder_does_not_list_a_centre_the_site_file_disables(
        seeded_store, page, tmp_path):
    # Two stores of the same history: the pages' caches are keyed on the store's URL.
    on, off = (seeded_store(hours=1).store.engine.url.render_as_string(hide_password=False)
               for _ in range(2))
    watched = page(on, "app_pages/finder.py", config=site_config(tmp_path, disable=False),
                   at=BRIEFING_AT)
    disabled = page(off, "app_pages/finder.py", config=site_config(tmp_path), at=BRIEFING_AT)
    assert not disabled.exception and not disabled.error

    def shown(at: AppTest) -> str:
        return " ".join(str(df.value.to_dict()) for df in at.dataframe)

    assert DISABLED.name in shown(watched)  # down: a lagging commune while watched
    assert DISABLED.name not in shown(disabled)
