"""Form templates, checked when loaded, and the documents they render (HTML or PDF).

Each form is one Jinja2 file, ``templates/forms/<name>.html`` in this package, that extends
the layout it is given (``{% extends layout %}``): ``forms/_screen.html`` makes a complete web
page (with CSS for screen and print), ``forms/_print.html`` the bare HTML that fpdf2 draws as
the PDF. So one file makes both documents. A host overrides any of them, or the shared
heading ``forms/_heading.html``, by putting a file with the same path under its template
directory (``Settings.template_dir``, the same one as the mail templates), through the very
loader the mail uses (:func:`onestop.application.templates.template_environment`).

Every file is compiled and checked when loaded: a syntax error, an unknown filter or a name
the form is not given raises :class:`~onestop.errors.TemplateError` naming the file, when
the portal starts.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Literal

import attrs
import jinja2

from onestop.application.downloads import content_disposition
from onestop.application.templates import (
    GLOBALS,
    check_template_dir,
    compile_template,
    template_environment,
)
from onestop.domain.dossier import Dossier
from onestop.domain.inputs import require_datetime
from onestop.errors import InvalidInput, TemplateError
from onestop.forms._pdf import html_to_pdf
from onestop.forms._values import (
    COMMON_VALUES,
    FORMS,
    AgencyLines,
    form_spec,
    form_values,
    issued_at,
)

__all__ = [
    "FORMATS",
    "LAYOUTS",
    "PARTIALS",
    "FormDocument",
    "FormTemplates",
    "check_format",
    "load_form_templates",
    "render_form",
]

#: The formats a form is rendered in, with their media types.
FORMATS: Final[Mapping[str, str]] = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}
#: The layout each format's template extends.
LAYOUTS: Final[Mapping[str, str]] = {"html": "forms/_screen.html", "pdf": "forms/_print.html"}
#: Files every form includes (a host may override them too).
PARTIALS: Final = ("forms/_heading.html",)

Format = Literal["pdf", "html"]


@attrs.frozen(repr=False)
class FormDocument:
    """A rendered form: its bytes, media type and a file name to save or send it under."""

    content: bytes
    media_type: str
    filename: str

    def __repr__(self) -> str:
        return f"<FormDocument {self.filename!r} {self.media_type} {len(self.content)} bytes>"

    @property
    def headers(self) -> dict[str, str]:
        """Response headers: type, length, ``inline`` disposition with the file name."""
        return {
            "Content-Type": self.media_type,
            "Content-Length": str(len(self.content)),
            "Content-Disposition": content_disposition(self.filename, "inline"),
            "X-Content-Type-Options": "nosniff",
        }


def check_format(value: object) -> Format:
    """``value`` if it is a format forms are made in; InvalidInput naming ``format``."""
    if value == "pdf":
        return "pdf"
    if value == "html":
        return "html"
    raise InvalidInput("format", f"must be one of {', '.join(FORMATS)}", value)


@attrs.frozen(repr=False)
class FormTemplates:
    """Every form template compiled and checked; see :func:`load_form_templates`."""

    directory: Path | None
    #: The loader paths a host's file overrides (``"forms/receipt.html"``), sorted.
    overridden: tuple[str, ...]
    _compiled: Mapping[str, jinja2.Template]

    def __repr__(self) -> str:
        return f"<FormTemplates {self.directory or 'packaged'}: {len(self.overridden)} overridden>"

    def html(self, form: str, values: Mapping[str, object], *, layout: Format = "html") -> str:
        """The form filled with ``values`` (exactly the names it is given, but ``layout``).

        ``layout`` "html" gives the web page, "pdf" the HTML the PDF is drawn from.
        TemplateError for a missing or unexpected value.
        """
        spec = form_spec(form)
        chosen = check_format(layout)
        expected = spec.allowed - GLOBALS - {"layout"}
        given = set(values) - GLOBALS
        if given != expected:
            missing = ", ".join(sorted(expected - given)) or "none"
            unexpected = ", ".join(sorted(given - expected)) or "none"
            raise TemplateError(
                f"form {form!r} takes {', '.join(sorted(expected))}; missing: {missing}, "
                f"unexpected: {unexpected}"
            )
        try:
            return self._compiled[spec.name].render({**values, "layout": LAYOUTS[chosen]})
        except jinja2.TemplateError as e:
            raise TemplateError(f"form {form!r} cannot be filled in: {e}") from e

    def render(
        self,
        form: str,
        values: Mapping[str, object],
        *,
        format: Format = "pdf",
        created_at: dt.datetime,
    ) -> FormDocument:
        """The form as a document: a PDF, or a complete web page in UTF-8.

        ``created_at`` dates the PDF (its metadata); the file name is the form's and the
        dossier code's (``giay-tiep-nhan-ho-so-000.00.03.H34-220622-0001.pdf``).
        """
        chosen = check_format(format)
        spec = form_spec(form)
        require_datetime(created_at, "created_at")
        dossier = values.get("dossier")
        code = getattr(dossier, "code", "") or "ho-so"
        filename = f"{spec.file_stem}-{code}.{chosen}"
        text = self.html(form, values, layout=chosen)
        if chosen == "html":
            return FormDocument(text.encode("utf-8"), FORMATS["html"], filename)
        pdf = html_to_pdf(text, title=spec.document_name, created_at=created_at)
        return FormDocument(pdf, FORMATS["pdf"], filename)


def load_form_templates(directory: str | os.PathLike[str] | None = None) -> FormTemplates:
    """Compile and check every form template, a host's files in ``directory`` first.

    ``directory`` is laid out as the package's templates (``forms/receipt.html``); what it
    lacks comes from the package. TemplateError names the first file that does not compile
    or uses a name it is not given; ConfigurationError when ``directory`` is not a
    directory. The packaged set is loaded once per process.
    """
    if directory is None:
        return _packaged()
    return _load(Path(directory))


@functools.cache
def _packaged() -> FormTemplates:
    return _load(None)


def _load(directory: Path | None) -> FormTemplates:
    check_template_dir(directory)
    environment = template_environment(directory)
    overridden: list[str] = []
    shared = COMMON_VALUES | GLOBALS
    for path in (*LAYOUTS.values(), *PARTIALS):
        _, by_host = compile_template(
            environment, path, shared, kind="form template", owner="every form"
        )
        if by_host:
            overridden.append(path)
    compiled: dict[str, jinja2.Template] = {}
    for spec in FORMS.values():
        template, by_host = compile_template(
            environment,
            spec.path,
            spec.allowed | GLOBALS,
            essential=spec.essential,
            kind="form template",
            owner=f"the form {spec.name!r}",
        )
        compiled[spec.name] = template
        if by_host:
            overridden.append(spec.path)
    return FormTemplates(directory, tuple(sorted(overridden)), compiled)


def render_form(
    form: str,
    dossier: Dossier,
    *,
    agency: AgencyLines,
    officer_name: str,
    now: dt.datetime,
    portal_name: str,
    portal_url: str = "",
    format: Format = "pdf",
    templates: FormTemplates | None = None,
) -> FormDocument:
    """A form of ``dossier`` as a document, for a host's own view (no permission check).

    :func:`~onestop.forms.form_values` and :meth:`FormTemplates.render` in one call, dated
    as the portal dates it; ``templates`` defaults to the packaged set (pass
    ``load_form_templates(directory)`` for a host's). ``portal.forms`` checks who asks first.
    """
    chosen = check_format(format)
    values = form_values(
        form,
        dossier,
        agency=agency,
        officer_name=officer_name,
        now=now,
        portal_name=portal_name,
        portal_url=portal_url,
        qr_kind="svg" if chosen == "html" else "png",
    )
    chosen_templates = load_form_templates() if templates is None else templates
    dated = issued_at(form, dossier, now)
    return chosen_templates.render(form, values, format=chosen, created_at=dated)
