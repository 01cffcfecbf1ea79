"""Reusing the applicant's earlier files (tái sử dụng): what could be reused, and reusing one.

A file the applicant attached to another of their dossiers (or received there as an
electronic result) may be attached again instead of uploaded again: the same stored file,
marked reused, which the national portal and the digitisation indicators count.
:class:`DossierReuse` is part of :class:`~onestop.application.dossiers.DossierService`.
"""

from __future__ import annotations

from typing import Final

import attrs

from onestop.application._owners import load_owned_dossier, require_active_account
from onestop.application.arguments import checked_methods
from onestop.application.context import AppContext
from onestop.application.downloads import attached_file
from onestop.domain.catalog import Component
from onestop.domain.dossier import Dossier
from onestop.domain.files import FileRef
from onestop.errors import InvalidAttachment, InvalidInput

__all__ = ["MAX_REUSABLE_FILES", "DossierReuse", "ReusableFile"]

#: Most files :meth:`DossierReuse.reusable_files` lists for one component.
MAX_REUSABLE_FILES: Final = 50
#: How many of the applicant's dossiers are read from storage at a time.
_BATCH: Final = 100


@attrs.frozen
class ReusableFile:
    """A file of another of the applicant's dossiers that a component would accept.

    ``component_id`` is the component it is attached to there (None for an electronic
    result); ``dossier_code`` None for a draft.
    """

    dossier_id: str
    dossier_code: str | None
    component_id: str | None
    file: FileRef


def _sources(dossier: Dossier) -> list[tuple[str | None, FileRef]]:
    return [(a.component_id, a.file) for a in dossier.attachments] + [
        (None, result) for result in dossier.results
    ]


def _accepts(component: Component, ref: FileRef) -> bool:
    """Whether attaching ``ref`` to ``component`` passes its check (as reuse_file's will)."""
    try:
        component.check_file(ref.media_type, ref.size)
    except InvalidAttachment:
        return False
    return True


@checked_methods
class DossierReuse:
    """The applicant's use cases for reusing files."""

    _ctx: AppContext

    def reusable_files(
        self, account_id: str, dossier_id: str
    ) -> dict[str, tuple[ReusableFile, ...]]:
        """For each component of the dossier's procedure, the files of the applicant's other
        dossiers it would accept (its media types and size limit): newest dossier first,
        each stored file once, at most :data:`MAX_REUSABLE_FILES` a component.

        Someone else's dossier is DossierNotFound.
        """
        with self._ctx.storage.unit_of_work() as uow:
            require_active_account(uow, account_id)
            dossier = load_owned_dossier(uow, account_id, dossier_id)
            components = dossier.procedure.components
            found: dict[str, list[ReusableFile]] = {c.id: [] for c in components}
            seen: dict[str, set[str]] = {c.id: set() for c in components}
            offset = 0
            while any(len(files) < MAX_REUSABLE_FILES for files in found.values()):
                batch = uow.dossiers.list_by_owner(account_id, offset=offset, limit=_BATCH)
                for other in batch:
                    if other.id == dossier.id:
                        continue
                    code = None if other.code is None else str(other.code)
                    for source_component, ref in _sources(other):
                        for component in components:
                            files, keys = found[component.id], seen[component.id]
                            if len(files) >= MAX_REUSABLE_FILES or ref.key in keys:
                                continue
                            if _accepts(component, ref):
                                keys.add(ref.key)
                                files.append(ReusableFile(other.id, code, source_component, ref))
                if len(batch) < _BATCH:
                    break
                offset += _BATCH
        return {component: tuple(files) for component, files in found.items()}

    def reuse_file(
        self,
        account_id: str,
        draft_id: str,
        component_id: str,
        source_dossier_id: str,
        file_key: str,
        *,
        source_component_id: str | None = None,
    ) -> FileRef:
        """Attach to a component of a draft (or a supplement) a file of the applicant's own
        other dossier instead of uploading it again (tái sử dụng): the same stored file,
        marked reused, checked against this component's media types and size limit.

        ``source_component_id``: the source dossier's component holding the file, when the
        same bytes are attached there twice under two names. Someone else's dossier is
        DossierNotFound; a key that is not a file (or result) of the source dossier (or of
        that component) is FileNotFoundInStore.
        """
        with self._ctx.storage.unit_of_work() as uow:
            require_active_account(uow, account_id)
            source = load_owned_dossier(uow, account_id, source_dossier_id)
            dossier = load_owned_dossier(uow, account_id, draft_id)
            if source.id == dossier.id:
                raise InvalidInput(
                    "source_dossier_id", "must be another of your dossiers", source_dossier_id
                )
            ref = attached_file(source, file_key, source_component_id)
            dossier.attach(component_id, ref, reused=True)
            uow.dossiers.update(dossier)
            uow.commit()
        return ref
