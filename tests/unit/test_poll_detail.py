"""A poll's detail in the reader's language (dashboard/views/poll_detail.py)."""

from __future__ import annotations

from dashboard.i18n import text
from dashboard.views import poll_detail
from metrics.results import TOO_SLOW


def test_the_collectors_phrase_is_in_vietnamese_and_the_rest_stays_as_it_came():
    detail = f"/status: {TOO_SLOW} (cut to 0.40 s by the cycle's deadline)"
    assert poll_detail.words(detail, text("vi")) == \
        "/status: trả lời quá chậm (cut to 0.40 s by the cycle's deadline)"
    assert poll_detail.words(detail, text("en")) == detail
    assert poll_detail.words("HTTP 502", text("vi")) == "HTTP 502"
