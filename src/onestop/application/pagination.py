"""One page of a longer list of results, and the checks on the page asked for."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import attrs

from onestop.errors import InvalidInput

__all__ = ["MAX_PAGE", "Page", "check_page", "fetch_page", "page_or_list"]

T = TypeVar("T")

#: Highest page number asked for: far past any real list, and small enough to print (a
#: number of thousands of digits cannot be turned into text).
MAX_PAGE = 1_000_000


@attrs.frozen
class Page(Generic[T]):
    """Page ``page`` (from 1) of ``total`` results, ``page_size`` at a time."""

    items: tuple[T, ...]
    page: int
    page_size: int
    total: int

    @classmethod
    def of(cls, results: Sequence[T], *, page: int, page_size: int) -> Page[T]:
        """The given page of ``results``; a page past the last one is empty, not an error.

        InvalidInput names ``results``, ``page`` or ``page_size`` of the wrong kind.
        """
        if not isinstance(results, Sequence) or isinstance(results, str | bytes | bytearray):
            raise InvalidInput("results", "must be a sequence (a list or tuple)", results)
        _check_page_number(page)
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise InvalidInput("page_size", "must be a whole number, 1 or more", page_size)
        start = (page - 1) * page_size
        return cls(
            items=tuple(results[start : start + page_size]),
            page=page,
            page_size=page_size,
            total=len(results),
        )

    @property
    def pages(self) -> int:
        """How many pages the results fill; 1 when there are none, so page 1 always exists."""
        return max(1, -(-self.total // self.page_size))

    @property
    def has_next(self) -> bool:
        """Whether a later page holds results."""
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        """Whether this is not the first page."""
        return self.page > 1


def check_page(page: int, page_size: int | None, *, default: int, maximum: int) -> tuple[int, int]:
    """Return (page, page size): page from 1; page size from 1 to ``maximum``, ``default`` if None.

    InvalidInput names ``"page"`` or ``"page_size"``.
    """
    _check_page_number(page)
    size = default if page_size is None else page_size
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= maximum:
        raise InvalidInput(
            "page_size",
            f"must be a whole number from 1 to {maximum}",
            page_size,
            rule_code="out_of_range",
            limits={"minimum": 1, "maximum": maximum},
        )
    return page, size


def _check_page_number(page: object) -> None:
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= MAX_PAGE:
        raise InvalidInput(
            "page",
            f"must be a whole number from 1 to {MAX_PAGE}",
            page,
            rule_code="out_of_range",
            limits={"minimum": 1, "maximum": MAX_PAGE},
        )


def page_or_list(
    results: Sequence[T],
    page: int | None,
    page_size: int | None,
    *,
    default: int,
    maximum: int,
    method: str,
    stacklevel: int = 4,
) -> Page[T] | list[T]:
    """The asked-for page of ``results``; all of them as a list, deprecated, when no page.

    A list method that became paged keeps answering a call without ``page`` with the whole
    list for one release, warning ``method``'s caller (DeprecationWarning).
    """
    if page is None and page_size is None:
        warnings.warn(
            f"{method}() without page= returns a list for one more release; pass page=1 "
            "(and page_size=) to get a Page, which every list returns from then on",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
        return list(results)
    number = 1 if page is None else page
    number, size = check_page(number, page_size, default=default, maximum=maximum)
    return Page.of(results, page=number, page_size=size)


def fetch_page(
    fetch: Callable[[int, int | None], Sequence[T]],
    count: Callable[[], int],
    page: int | None,
    page_size: int | None,
    *,
    default: int,
    maximum: int,
    method: str,
    stacklevel: int = 4,
) -> Page[T] | list[T]:
    """As :func:`page_or_list`, but the storage reads only the page asked for:
    ``fetch(offset, limit)`` one slice (``limit`` None: all the rest), ``count()`` the total.
    Call it inside one unit of work, so that the page and the total agree.
    """
    if page is None and page_size is None:
        return page_or_list(
            fetch(0, None),
            None,
            None,
            default=default,
            maximum=maximum,
            method=method,
            stacklevel=stacklevel + 1,
        )
    number, size = check_page(
        1 if page is None else page, page_size, default=default, maximum=maximum
    )
    items = tuple(fetch((number - 1) * size, size))
    return Page(items=items, page=number, page_size=size, total=count())
