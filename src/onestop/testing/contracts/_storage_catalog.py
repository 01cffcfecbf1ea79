"""Storage contract: the procedure catalog."""

from __future__ import annotations

import pytest

from onestop.domain.catalog import FeesDue
from onestop.domain.codes import AgencyCode
from onestop.domain.money import FeeItem, FeeKind
from onestop.errors import (
    AgencyNotFound,
    FieldNotFound,
    ProcedureNotFound,
)
from onestop.ports.storage import Storage, UnitOfWork
from onestop.testing import builders
from onestop.testing.contracts._storage_base import (
    OTHER_AGENCY,
    StorageContractBase,
    _commit,
    _refused,
)
from onestop.testing.contracts._support import (
    assert_same_fields,
)


class CatalogStorageContract(StorageContractBase):
    """The catalog; part of :class:`StorageContract`."""

    # --- catalog -------------------------------------------------------------------------

    def test_catalog_round_trip(self, storage: Storage) -> None:
        top = builders.agency(AgencyCode("H34"), name="Ủy ban nhân dân tỉnh Kon Tum")
        unit = builders.agency(parent=AgencyCode("H34"))
        field = builders.field()
        procedure = builders.procedure(
            fees=(
                FeeItem(FeeKind.LE_PHI, 50_000, "Lệ phí đăng ký doanh nghiệp"),
                FeeItem(FeeKind.PHI, 100_000, "Phí công bố thông tin", quantity=2),
            ),
            fees_due=FeesDue.AT_RESULT,
        )

        def put_all(uow: UnitOfWork) -> None:
            uow.catalog.put_agency(top)
            uow.catalog.put_agency(unit)
            uow.catalog.put_field(field)
            uow.catalog.put_procedure(procedure)

        _commit(storage, put_all)
        with storage.unit_of_work() as uow:
            assert_same_fields(uow.catalog.get_agency(top.code), top)
            assert_same_fields(uow.catalog.get_agency(unit.code), unit)
            assert_same_fields(uow.catalog.get_field(field.id), field)
            loaded = uow.catalog.get_procedure(procedure.code)
            assert_same_fields(loaded, procedure)
            assert loaded == procedure

    def test_catalog_get_unknown(self, storage: Storage) -> None:
        with storage.unit_of_work() as uow:
            with pytest.raises(AgencyNotFound):
                uow.catalog.get_agency(AgencyCode("H99", 1))
            with pytest.raises(FieldNotFound):
                uow.catalog.get_field("khong-co")
            with pytest.raises(ProcedureNotFound):
                uow.catalog.get_procedure("9.999999")

    def test_catalog_put_replaces(self, storage: Storage) -> None:
        _commit(storage, lambda uow: uow.catalog.put_agency(builders.agency(name="Tên cũ")))
        _commit(storage, lambda uow: uow.catalog.put_agency(builders.agency(name="Tên mới")))
        procedure = builders.procedure(name="Thủ tục cũ")
        _commit(storage, lambda uow: uow.catalog.put_procedure(procedure))
        renamed = builders.procedure(name="Thủ tục mới", working_days=10, home_pickup=False)
        _commit(storage, lambda uow: uow.catalog.put_procedure(renamed))
        _commit(storage, lambda uow: uow.catalog.put_field(builders.field(name="Lĩnh vực cũ")))
        _commit(storage, lambda uow: uow.catalog.put_field(builders.field(name="Lĩnh vực mới")))
        with storage.unit_of_work() as uow:
            assert [a.name for a in uow.catalog.list_agencies()] == ["Tên mới"]
            assert [f.name for f in uow.catalog.list_fields()] == ["Lĩnh vực mới"]
            assert list(uow.catalog.list_procedures()) == [renamed]
            assert_same_fields(uow.catalog.get_procedure(renamed.code), renamed)

    def test_catalog_procedure_needs_its_agency(self, storage: Storage) -> None:
        procedure = builders.procedure(agency=AgencyCode("H99", 1))
        _refused(storage, AgencyNotFound, lambda uow: uow.catalog.put_procedure(procedure))
        with storage.unit_of_work() as uow, pytest.raises(ProcedureNotFound):
            uow.catalog.get_procedure(procedure.code)

    def test_catalog_lists_ordered_and_filtered(self, storage: Storage) -> None:
        agencies = [builders.agency(code) for code in (OTHER_AGENCY, builders.AGENCY)]
        # Codes sort as (level1, level2, ...), not as their text: A01 comes before H34.
        agencies.append(builders.agency(AgencyCode("A01", 9)))
        fields = [builders.field(f) for f in ("y-te", "dat-dai", "giao-duc")]
        procedures = [
            builders.procedure("1.000003", agency=OTHER_AGENCY, field="y-te"),
            builders.procedure("1.000001", field="dat-dai"),
            builders.procedure("1.000002", field="y-te"),
            builders.procedure("2.000001", agency=OTHER_AGENCY, field="dat-dai"),
        ]

        def put_all(uow: UnitOfWork) -> None:
            for agency in agencies:
                uow.catalog.put_agency(agency)
            for field in fields:
                uow.catalog.put_field(field)
            for procedure in procedures:
                uow.catalog.put_procedure(procedure)

        _commit(storage, put_all)
        with storage.unit_of_work() as uow:
            assert [a.code for a in uow.catalog.list_agencies()] == sorted(a.code for a in agencies)
            assert [f.id for f in uow.catalog.list_fields()] == ["dat-dai", "giao-duc", "y-te"]

            def codes(agency: AgencyCode | None = None, field: str | None = None) -> list[str]:
                return [p.code for p in uow.catalog.list_procedures(agency=agency, field=field)]

            assert codes() == ["1.000001", "1.000002", "1.000003", "2.000001"]
            assert codes(agency=OTHER_AGENCY) == ["1.000003", "2.000001"]
            assert codes(field="y-te") == ["1.000002", "1.000003"]
            assert codes(agency=builders.AGENCY, field="dat-dai") == ["1.000001"]
            assert codes(field="giao-duc") == []
