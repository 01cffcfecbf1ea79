"""Plain mail templates are filled without Jinja's rendering machinery, to the same text."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from onestop.application.templates import (
    _PLAIN,
    LOCALES,
    TEMPLATES,
    _fill,
    load_mail_templates,
)

_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40
) | st.sampled_from(["<b>&amp;</b>", "a \"quoted\" 'one'", "Nguyễn Văn Đức", "x\n\ny", ""])


def test_every_shipped_message_is_plain() -> None:
    """Every part of every packaged message is text and names only: all take the fast way."""
    templates = load_mail_templates()
    for (name, locale), compiled in templates._compiled.items():
        parts = [compiled.subject, compiled.text, compiled.html]
        for part in (p for p in parts if p is not None):
            assert part in _PLAIN, (name, locale, part.name)
        assert _PLAIN[compiled.subject][0] is False  # a subject is never HTML-escaped
        if compiled.html is not None:
            assert _PLAIN[compiled.html][0] is True


@settings(max_examples=60, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(TEMPLATES)), locale=st.sampled_from(LOCALES))
def test_filling_gives_what_jinja_renders(data: st.DataObject, name: str, locale: str) -> None:
    """Same text as ``Template.render`` for any values: escaped in HTML, as given elsewhere."""
    compiled = load_mail_templates()._compiled[(name, locale)]
    names = sorted(TEMPLATES[name].placeholders | {"portal_name", "portal_url"})
    values = {n: data.draw(_TEXT, label=n) for n in names}
    for part in (compiled.subject, compiled.text, compiled.html):
        if part is not None:
            assert _fill(part, values) == part.render(values)


def test_a_host_template_with_tags_goes_to_jinja(tmp_path: Path) -> None:
    """A host's file with a tag or filter is not plain: Jinja renders it, as before."""
    folder = tmp_path / "mail" / "vi"
    folder.mkdir(parents=True)
    (folder / "received.txt").write_text(
        "{% if code %}Mã {{ code | upper }}{% endif %} hạn {{ due_date }}\n",
        encoding="utf-8",
    )
    templates = load_mail_templates(tmp_path)
    compiled = templates._compiled[("received", "vi")]
    assert compiled.text not in _PLAIN
    assert compiled.subject in _PLAIN  # the packaged subject is still plain
    rendered = templates.render(
        "received",
        {"full_name": "A", "code": "h.1", "received_at": "1", "due_date": "2"},
        "vi",
    )
    assert "Mã H.1 hạn 2" in rendered.text
