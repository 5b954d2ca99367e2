"""Pages of long lists that grow with the community: previous and next, never a total.

Counting every row for "page 3 of 4,812" costs as much as reading them all, and grows with the
data; a page here asks for one row more than it shows, which is all "next" needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, request

from .extensions import db

#: The deepest page of such a list: past it, members search or filter instead.
MAX_PAGE = 500


@dataclass(frozen=True)
class Window:
    """One page of a list: its rows, its number and whether another follows."""

    items: list
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def requested_page(max_page: int = MAX_PAGE) -> int:
    """``?page=``: a word is page 1; below 1 or past ``max_page`` is not found (404)."""
    number = request.args.get("page", 1, type=int)
    if number < 1 or number > max_page:
        abort(404)
    return number


def window(statement, per_page: int, number: int, max_page: int = MAX_PAGE) -> Window:
    """Page ``number`` of ``statement`` (ordered by the caller), in one query and no count."""
    rows = db.session.scalars(statement.offset((number - 1) * per_page).limit(per_page + 1)).all()
    return Window(
        items=rows[:per_page], page=number, has_next=len(rows) > per_page and number < max_page
    )
