"""Mail templates: Jinja2 files in Vietnamese (the default) and English, checked when loaded.

Each message is a set of files per locale under ``templates/mail/<locale>/`` in this
package: ``<name>.subject.txt`` (one line), ``<name>.txt`` (the plain-text body) and, for
some, ``<name>.html`` (an HTML alternative, autoescaped). A host overrides any of them by
putting a file with the same path under its own directory (``Settings.template_dir``): its
file wins, ours is the fallback (Jinja2's ``ChoiceLoader`` of a ``FileSystemLoader`` and a
``PackageLoader``, as Flask and Django load templates).

Every template is compiled and checked when the portal starts (:func:`load_mail_templates`,
called by :class:`~onestop.application.context.AppContext`): a syntax error, an unknown
filter or a name that is neither one of the message's placeholders nor a global
(``portal_name``, ``portal_url``) raises :class:`~onestop.errors.TemplateError` naming the
file, at startup, not in a citizen's mailbox. Rendering uses ``StrictUndefined`` as a
second line of defence.

Values are text already formatted by the caller (:mod:`onestop.formatting`). In the subject
every value is put on one line; in HTML it is escaped.
"""

from __future__ import annotations

import functools
import os
import re
import weakref
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import attrs
import jinja2
import jinja2.meta
import jinja2.nodes
from markupsafe import Markup, escape

from onestop.domain.mail import MailMessage
from onestop.errors import ConfigurationError, InvalidInput, TemplateError

__all__ = [
    "DEFAULT_PORTAL_NAME",
    "GLOBALS",
    "LOCALES",
    "TEMPLATES",
    "MailTemplate",
    "MailTemplates",
    "RenderedMail",
    "check_locale",
    "check_template_dir",
    "compile_template",
    "load_mail_templates",
    "placeholders",
    "render",
    "template_environment",
]

#: The languages every template is written in; the first is the default.
LOCALES: tuple[str, ...] = ("vi", "en")

#: The portal's name when the host sets none (``Settings.portal_name``).
DEFAULT_PORTAL_NAME: Final = "Cổng dịch vụ công trực tuyến"

#: Names every template may use besides its placeholders: the portal's name and address.
GLOBALS: frozenset[str] = frozenset({"portal_name", "portal_url"})

_PACKAGE_DIRECTORY: Final = "templates"
_BLANK_LINES = re.compile(r"\n{3,}")


@attrs.frozen
class MailTemplate:
    """A message: its name, the values it is given, and those its text must show.

    ``essential`` values are what the message is for (the link of a verification mail, the
    code of a dossier's): a text body that leaves one out is refused when loaded.
    """

    name: str
    placeholders: frozenset[str]
    essential: frozenset[str] = frozenset()

    def paths(self, locale: str) -> tuple[str, str, str]:
        """The loader paths of the subject, text and HTML files in ``locale``."""
        base = f"mail/{locale}/{self.name}"
        return f"{base}.subject.txt", f"{base}.txt", f"{base}.html"


def _template(name: str, *values: str, essential: Iterable[str] = ()) -> MailTemplate:
    return MailTemplate(name, frozenset({"full_name", *values}), frozenset(essential))


#: Every message the library sends, by name, with the values it is given.
TEMPLATES: Mapping[str, MailTemplate] = {
    t.name: t
    for t in (
        _template("account_verification", "link", "expires_at", essential=["link"]),
        _template("password_reset", "link", "expires_at", essential=["link"]),
        _template(
            "submission_receipt",
            "code",
            "procedure_name",
            "submitted_at",
            "status_label",
            "total_fees",
            "tracking_link",
            essential=["code"],
        ),
        _template("supplement_requested", "code", "note", essential=["code", "note"]),
        _template("reception_refused", "code", "reason", essential=["code", "reason"]),
        _template("received", "code", "received_at", "due_date", essential=["code", "due_date"]),
        _template("result_ready", "code", "outcome", "reasons", essential=["code", "outcome"]),
        _template(
            "apology",
            "code",
            "old_due_date",
            "new_due_date",
            "reason",
            essential=["code", "new_due_date"],
        ),
        _template("payment_confirmed", "code", "amount", essential=["code", "amount"]),
    )
}


@attrs.frozen
class RenderedMail:
    """A template filled in: subject, plain text, and HTML when the template has one."""

    template: str
    locale: str
    subject: str
    text: str
    html: str | None = None

    def to_message(self, to: str) -> MailMessage:
        """The message to ``to`` (one email address)."""
        return MailMessage(
            to=to,
            subject=self.subject,
            text=self.text,
            html=self.html,
            template=self.template,
            locale=self.locale,
        )


@attrs.frozen
class _Compiled:
    subject: jinja2.Template
    text: jinja2.Template
    html: jinja2.Template | None


@attrs.frozen(repr=False)
class MailTemplates:
    """Every message compiled and checked, ready to render; see :func:`load_mail_templates`."""

    directory: Path | None
    #: The loader paths a host's file overrides (``"mail/vi/received.txt"``), sorted.
    overridden: tuple[str, ...]
    _compiled: Mapping[tuple[str, str], _Compiled]

    def __repr__(self) -> str:
        return f"<MailTemplates {self.directory or 'packaged'}: {len(self.overridden)} overridden>"

    def render(
        self,
        template: str,
        values: Mapping[str, str],
        locale: str = "vi",
        *,
        portal_name: str = DEFAULT_PORTAL_NAME,
        portal_url: str = "",
    ) -> RenderedMail:
        """Fill ``template`` in ``locale`` with ``values``, which must be exactly its placeholders.

        A missing, unexpected or non-text value, an unknown template or locale raises
        TemplateError naming it.
        """
        chosen = _known(template)
        compiled = self._compiled.get((template, locale))
        if compiled is None:
            raise TemplateError(
                f"template {template!r} has no {locale!r} version; use one of {', '.join(LOCALES)}"
            )
        _check_values(chosen, values)
        plain = {**values, "portal_name": portal_name, "portal_url": portal_url}
        one_line = {name: " ".join(value.split()) for name, value in plain.items()}
        try:
            subject = " ".join(_fill(compiled.subject, one_line).split())
            text = _fill(compiled.text, plain)
            markup = None if compiled.html is None else _fill(compiled.html, plain)
        except jinja2.TemplateError as e:
            raise TemplateError(f"template {template!r} ({locale}) cannot be filled in: {e}") from e
        return RenderedMail(
            template=template,
            locale=locale,
            subject=subject,
            text=_BLANK_LINES.sub("\n\n", text).strip() + "\n",
            html=markup,
        )


def load_mail_templates(directory: str | os.PathLike[str] | None = None) -> MailTemplates:
    """Compile every message in every locale, a host's files in ``directory`` first.

    ``directory`` holds files laid out as the package's (``mail/vi/received.txt``); any it
    lacks come from the package. TemplateError names the first file that does not compile
    or uses a name the message is not given; ConfigurationError when ``directory`` is not a
    directory. The packaged set is loaded once per process.
    """
    if directory is None:
        return _packaged()
    return _load(Path(directory))


@functools.cache
def _packaged() -> MailTemplates:
    return _load(None)


def template_environment(directory: Path | None) -> jinja2.Environment:
    """The Jinja2 environment every packaged template is loaded through.

    The host's ``directory`` first (when given), then the package's ``templates``; HTML
    autoescaped, ``StrictUndefined``, the ``nl2br`` filter. Mail and the printable forms
    (:mod:`onestop.forms`) share it, so a host overrides both the same way.
    """
    loaders: list[jinja2.BaseLoader] = []
    if directory is not None:
        loaders.append(jinja2.FileSystemLoader(directory, encoding="utf-8"))
    loaders.append(jinja2.PackageLoader("onestop", _PACKAGE_DIRECTORY, encoding="utf-8"))
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml"), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    environment.filters["nl2br"] = _nl2br
    return environment


def _nl2br(value: str) -> Markup:
    """Escape ``value`` and break its lines with ``<br>``, for notes in HTML mail."""
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


def _load(directory: Path | None) -> MailTemplates:
    check_template_dir(directory)
    environment = template_environment(directory)
    compiled: dict[tuple[str, str], _Compiled] = {}
    overridden: list[str] = []
    for template in TEMPLATES.values():
        for locale in LOCALES:
            subject_path, text_path, html_path = template.paths(locale)
            subject = _compile(environment, template, subject_path, overridden)
            text = _compile(environment, template, text_path, overridden, shows_essentials=True)
            html: jinja2.Template | None = None
            if _exists(environment, html_path):
                html = _compile(environment, template, html_path, overridden)
            compiled[(template.name, locale)] = _Compiled(subject, text, html)
    return MailTemplates(directory, tuple(sorted(overridden)), compiled)


def check_template_dir(directory: Path | None) -> None:
    """ConfigurationError unless ``directory`` is None or an existing directory."""
    if directory is not None and not directory.is_dir():
        raise ConfigurationError(
            f"the mail template directory {str(directory)!r} does not exist or is not a "
            "directory; give the directory that holds mail/vi/..., mail/en/... and forms/..."
        )


def _exists(environment: jinja2.Environment, path: str) -> bool:
    try:
        _source(environment, path)
    except jinja2.TemplateNotFound:
        return False
    return True


def _source(environment: jinja2.Environment, path: str) -> tuple[str, str | None]:
    loader = environment.loader
    assert loader is not None  # always a ChoiceLoader, see template_environment
    source, filename, _ = loader.get_source(environment, path)
    return source, filename


def _compile(
    environment: jinja2.Environment,
    template: MailTemplate,
    path: str,
    overridden: list[str],
    *,
    shows_essentials: bool = False,
) -> jinja2.Template:
    """The compiled template at ``path``, checked; its path added to ``overridden`` if the host's.

    ``shows_essentials``: the file must show the message's essential values.
    """
    compiled, by_host = compile_template(
        environment,
        path,
        template.placeholders | GLOBALS,
        essential=template.essential if shows_essentials else frozenset(),
        kind="mail template",
        owner=f"the message {template.name!r}",
    )
    if by_host:
        overridden.append(path)
    return compiled


def compile_template(
    environment: jinja2.Environment,
    path: str,
    allowed: frozenset[str],
    *,
    essential: frozenset[str] = frozenset(),
    kind: str,
    owner: str,
) -> tuple[jinja2.Template, bool]:
    """Compile the template at ``path`` and check the names it uses; True if the host's file.

    TemplateError (naming the file) when it is missing, does not compile, uses a name not
    in ``allowed`` or never shows one of ``essential``; ``kind`` ("mail template") and
    ``owner`` ("the message 'received'") word that error.
    """
    try:
        source, filename = _source(environment, path)
    except jinja2.TemplateNotFound:
        raise TemplateError(
            f"{kind} {path!r} is missing; the package ships one, so the installation is incomplete"
        ) from None
    shown = filename or path
    try:
        tree = environment.parse(source, path, filename)
        used = jinja2.meta.find_undeclared_variables(tree)
        compiled = environment.get_template(path)
    except jinja2.TemplateSyntaxError as e:
        raise TemplateError(
            f"{kind} {shown} does not compile (line {e.lineno}): {e.message}"
        ) from e
    unknown = used - allowed
    if unknown:
        raise TemplateError(
            f"{kind} {shown} uses {', '.join(sorted(unknown))}, which {owner} is not "
            f"given; it may use {', '.join(sorted(allowed))}"
        )
    left_out = essential - used
    if left_out:
        raise TemplateError(
            f"{kind} {shown} never shows {', '.join(sorted(left_out))}: {owner} is made for it"
        )
    pieces = _plain_pieces(tree)
    if pieces is not None:
        autoescape = environment.autoescape
        escaped = bool(autoescape(path) if callable(autoescape) else autoescape)
        _PLAIN[compiled] = (escaped, pieces)
    return compiled, filename is not None and not _is_packaged(filename)


# --- filling plain templates -----------------------------------------------------------------

#: Templates that are only text and ``{{ name }}`` (every message the package ships): whether
#: they escape HTML, and their pieces, (text, "") or ("", name).
_PLAIN: weakref.WeakKeyDictionary[jinja2.Template, tuple[bool, tuple[tuple[str, str], ...]]] = (
    weakref.WeakKeyDictionary()
)


def _plain_pieces(tree: jinja2.nodes.Template) -> tuple[tuple[str, str], ...] | None:
    """The template's text and names in order, if it has nothing else (no tags, filters,
    attributes or expressions); None otherwise."""
    pieces: list[tuple[str, str]] = []
    for node in tree.body:
        if not isinstance(node, jinja2.nodes.Output):
            return None
        for child in node.nodes:
            if isinstance(child, jinja2.nodes.TemplateData):
                pieces.append((child.data, ""))
            elif isinstance(child, jinja2.nodes.Name) and child.ctx == "load":
                pieces.append(("", child.name))
            else:
                return None
    return tuple(pieces)


def _fill(template: jinja2.Template, values: Mapping[str, str]) -> str:
    """``template.render(values)``, the same text; for a plain template without Jinja's
    rendering machinery (a new context for each part of each message costs more than the
    filling). A name without a value goes to Jinja, which says so."""
    plain = _PLAIN.get(template)
    if plain is None:
        return template.render(values)
    escaped, pieces = plain
    out: list[str] = []
    for text, name in pieces:
        if not name:
            out.append(text)
            continue
        value = values.get(name)
        if value is None:
            return template.render(values)
        out.append(escape(value) if escaped else str(value))
    return "".join(out)


@functools.cache
def _package_root() -> Path:
    return (Path(__file__).resolve().parent.parent / _PACKAGE_DIRECTORY).resolve()


def _is_packaged(filename: str) -> bool:
    try:
        return Path(filename).resolve().is_relative_to(_package_root())
    except OSError:
        return False


def _known(name: str) -> MailTemplate:
    found = TEMPLATES.get(name) if isinstance(name, str) else None
    if found is None:
        raise TemplateError(
            f"unknown mail template {name!r}; known: {', '.join(sorted(TEMPLATES))}"
        )
    return found


def _check_values(template: MailTemplate, values: Mapping[str, str]) -> None:
    given = set(values)
    missing = sorted(template.placeholders - given)
    if missing:
        raise TemplateError(
            f"template {template.name!r} is missing placeholder(s) {', '.join(missing)}"
        )
    unexpected = sorted(given - template.placeholders)
    if unexpected:
        raise TemplateError(
            f"template {template.name!r} has no placeholder(s) {', '.join(unexpected)}; "
            f"it takes {', '.join(sorted(template.placeholders))}"
        )
    for name, value in values.items():
        if not isinstance(value, str):
            raise TemplateError(
                f"placeholder {name!r} of template {template.name!r} must be text (format "
                f"dates and money first), not {type(value).__name__}"
            )


def check_locale(locale: str, field: str = "locale") -> str:
    """Return ``locale`` if mail can be written in it; InvalidInput naming ``field`` if not."""
    if locale not in LOCALES:
        raise InvalidInput(field, f"must be one of {', '.join(LOCALES)}", locale)
    return locale


def placeholders(template: str) -> frozenset[str]:
    """The placeholders ``template`` needs; TemplateError for an unknown template."""
    return _known(template).placeholders


def render(
    template: str,
    values: Mapping[str, str],
    locale: str = "vi",
    *,
    portal_name: str = DEFAULT_PORTAL_NAME,
    portal_url: str = "",
) -> RenderedMail:
    """Fill a packaged template; see :meth:`MailTemplates.render`.

    A portal renders with its own set (``ctx.mail_templates``), which holds the host's
    overrides.
    """
    return _packaged().render(
        template, values, locale, portal_name=portal_name, portal_url=portal_url
    )
