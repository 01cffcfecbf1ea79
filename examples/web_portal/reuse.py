"""Reusing a file the citizen already sent (tái sử dụng), instead of uploading it again.

Under each component's file input the procedure page (and the supplement form) offers the
files of the citizen's newest dossiers that this component accepts (its media types, its
size limit): their attachments and their electronic results. A choice is posted as
``reuse-<component id>`` = ``<dossier id>:<file key>`` and handed to
``portal.dossiers.reuse_file``, which checks that the dossier is the citizen's own and the
file is one of its files; the file joins the component marked reused, and the dossier pages
show it so.
"""

from __future__ import annotations

import attrs
from flask import request

from onestop.domain import Dossier
from onestop.domain.catalog import Component, Procedure
from onestop.domain.files import FileRef
from onestop.errors import OnestopError
from onestop.formatting import format_size

from .support import component_field, portal


@attrs.frozen
class Reusable:
    """One choice of the "dùng lại tệp" list: the posted value and what the citizen reads."""

    value: str
    label: str


def reuse_field(component_id: str) -> str:
    """The name of a component's reuse list (``reuse-giay-de-nghi``)."""
    return f"reuse-{component_id}"


def reusable_files(
    account_id: str, procedure: Procedure, dossier: Dossier | None
) -> dict[str, list[Reusable]]:
    """For each component of ``procedure``, the files of the citizen's dossiers other than
    ``dossier`` (one page of the newest) it would accept; a file once, from its newest one."""
    skip = dossier.id if dossier is not None else None
    others = [d for d in portal().dossiers.list_mine(account_id, page=1).items if d.id != skip]
    return {component.id: _choices(component, others) for component in procedure.components}


def _choices(component: Component, dossiers: list[Dossier]) -> list[Reusable]:
    seen: set[str] = set()
    found: list[Reusable] = []
    for other in dossiers:
        where = f"hồ sơ {other.code}" if other.code is not None else "hồ sơ nháp"
        files: list[FileRef] = [a.file for a in other.attachments] + list(other.results)
        for ref in files:
            fits = ref.media_type in component.media_types and ref.size <= component.max_bytes
            if fits and ref.key not in seen:
                seen.add(ref.key)
                label = f"{ref.name} ({format_size(ref.size)}), {where}"
                found.append(Reusable(f"{other.id}:{ref.key}", label))
    return found


def attach_reused(account_id: str, dossier: Dossier) -> dict[str, str]:
    """Reuse every file chosen for a component of ``dossier``; refusals by the component's
    file input (where the page shows a component's errors)."""
    errors: dict[str, str] = {}
    for component in dossier.procedure.components:
        chosen = request.form.get(reuse_field(component.id), "")
        if not chosen:
            continue  # "Không dùng lại"
        source_id, _, file_key = chosen.partition(":")
        try:
            portal().dossiers.reuse_file(account_id, dossier.id, component.id, source_id, file_key)
        except OnestopError as error:
            errors[component_field(component.id)] = error.message("vi")
    return errors
