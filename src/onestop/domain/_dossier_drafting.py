"""A dossier's draft: its files, the applicant block and the home services chosen.

A mixin of :class:`~onestop.domain.dossier.Dossier` (split by responsibility); every
method works on the dossier it is called on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onestop.domain.accounts import Applicant
from onestop.domain.dossier_parts import Attachment, home_address, require_instance
from onestop.domain.files import FileRef
from onestop.domain.inputs import require_bool, require_text
from onestop.domain.statuses import DossierStatus
from onestop.errors import HomeServiceNotOffered, InvalidInput, MissingComponents, show_value

if TYPE_CHECKING:
    from onestop.domain.catalog import Procedure

__all__ = ["DraftSteps"]

S = DossierStatus


class DraftSteps:
    """What the applicant does to a draft (and to a dossier sent back for a supplement)."""

    if not TYPE_CHECKING:  # slots for the dossier; mypy reads the declarations below
        __slots__ = ()

    if TYPE_CHECKING:  # what the mixin needs of the dossier
        procedure: Procedure
        applicant: Applicant
        status: DossierStatus
        attachments: tuple[Attachment, ...]
        home_pickup_address: str | None
        home_delivery_address: str | None

        def _require(self, action: str, *allowed: DossierStatus) -> None: ...

    def files_for(self, component_id: str) -> tuple[FileRef, ...]:
        """The files attached to one component, in the order they were attached."""
        require_text(component_id, "component_id")
        return tuple(a.file for a in self.attachments if a.component_id == component_id)

    def missing_components(self) -> tuple[str, ...]:
        """Ids of the mandatory components that still have no file."""
        attached = {a.component_id for a in self.attachments}
        return tuple(
            c.id for c in self.procedure.components if c.mandatory and c.id not in attached
        )

    def _component_names(self, ids: tuple[str, ...]) -> tuple[str, ...]:
        """The names of the components ``ids``, in the same order, for a citizen's message."""
        names = {c.id: c.name for c in self.procedure.components}
        return tuple(names.get(i, i) for i in ids)

    def update_applicant(self, applicant: Applicant) -> None:
        """Replace the applicant block (only while a draft)."""
        require_instance(applicant, Applicant, "applicant", "Applicant.create(...)")
        self._require("edit", S.DRAFT)
        self.applicant = applicant

    def attach(self, component_id: str, file: FileRef, *, reused: bool = False) -> None:
        """Attach a file to a component, checking its media type and size against it.

        ``reused``: the file is taken from the applicant's earlier dossier (tái sử dụng).
        """
        require_text(component_id, "component_id")
        require_instance(file, FileRef, "file", "what the file store returned")
        require_bool(reused, "reused")
        self._require("attach a file to", S.DRAFT, S.SUPPLEMENT_REQUESTED)
        component = self.procedure.component(component_id)
        component.check_file(file.media_type, file.size)
        if any(a.component_id == component_id and a.file.key == file.key for a in self.attachments):
            return  # the same stored file twice on one component adds nothing
        self.attachments = (*self.attachments, Attachment(component_id, file, reused=reused))

    def detach(self, component_id: str, file_key: str) -> None:
        """Remove one attached file from a component."""
        require_text(component_id, "component_id")
        require_text(file_key, "file_key")
        self._require("remove a file from", S.DRAFT, S.SUPPLEMENT_REQUESTED)
        kept = tuple(
            a
            for a in self.attachments
            if not (a.component_id == component_id and a.file.key == file_key)
        )
        if len(kept) == len(self.attachments):
            raise InvalidInput(
                "attachment",
                f"no file {show_value(file_key)} is attached to component "
                f"{show_value(component_id)}",
            )
        self.attachments = kept

    def choose_home_pickup(self, address: str | None) -> None:
        """Ask for the paper dossier to be picked up at ``address`` (None: no pick-up)."""
        self.home_pickup_address = self._home_service(
            "home_pickup", "home pick-up", "pick-up at home", self.procedure.home_pickup, address
        )

    def choose_home_delivery(self, address: str | None) -> None:
        """Ask for the result to be delivered at ``address`` (None: collect it at the office)."""
        self.home_delivery_address = self._home_service(
            "home_delivery",
            "home delivery",
            "delivery of the result at home",
            self.procedure.home_delivery,
            address,
        )

    def _home_service(
        self, service: str, name: str, what: str, offered: bool, address: str | None
    ) -> str | None:
        """The address a draft's home service goes to (None: not asked for), checked."""
        field = f"{service}.address"
        if address is not None:
            require_text(address, field)
        self._require(f"change {name} of", S.DRAFT)
        if address is None:
            return None
        if not offered:
            raise HomeServiceNotOffered(
                service, f"this procedure does not offer {what}", self.procedure.code
            )
        return home_address(address, field)

    def check_submittable(self) -> None:
        """Raise what would stop :meth:`submit`, without changing anything."""
        self._require("submit", S.DRAFT)
        missing = self.missing_components()
        if missing:
            raise MissingComponents(missing, self._component_names(missing))
