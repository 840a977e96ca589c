"""Pages of a list: `data` and `has_more` as the API answered; iterating a page goes on across every page after it."""
from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable, Generator, Generic, Iterator, List, Mapping, Optional, TypeVar

T = TypeVar("T")


def _items(body: Mapping[str, Any], cast: Optional[Callable[[Any], Any]]) -> List[Any]:
    return [cast(item) if cast else item for item in body.get("data", [])]


class Page(Generic[T]):
    """One page. `for item in page` runs across it and every page after (fetched as it goes); `next_page()` gives the
    next page alone, or None on the last."""

    def __init__(self, body: Mapping[str, Any], cast: Optional[Callable[[Any], T]], fetch: Callable[[str], "Page[T]"], cursor: str = "id") -> None:
        self.data: List[T] = _items(body, cast)
        self.has_more: bool = bool(body.get("has_more"))
        self._fetch = fetch
        self._cursor = cursor

    def next_page(self) -> Optional["Page[T]"]:
        if not self.has_more or not self.data:
            return None
        return self._fetch(str(_cursor_of(self.data[-1], self._cursor)))

    def iter_pages(self) -> Iterator["Page[T]"]:
        page: Optional[Page[T]] = self
        while page is not None:
            yield page
            page = page.next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data

    def __repr__(self) -> str:
        return f"Page(data={len(self.data)} items, has_more={self.has_more})"


class AsyncPage(Generic[T]):
    """One page, for AsyncParley: `async for item in page` runs across it and every page after."""

    def __init__(self, body: Mapping[str, Any], cast: Optional[Callable[[Any], T]], fetch: Callable[[Optional[str]], Awaitable["AsyncPage[T]"]], cursor: str = "id") -> None:
        self.data: List[T] = _items(body, cast)
        self.has_more: bool = bool(body.get("has_more"))
        self._fetch = fetch
        self._cursor = cursor

    async def next_page(self) -> Optional["AsyncPage[T]"]:
        if not self.has_more or not self.data:
            return None
        return await self._fetch(str(_cursor_of(self.data[-1], self._cursor)))

    async def iter_pages(self) -> AsyncIterator["AsyncPage[T]"]:
        page: Optional[AsyncPage[T]] = self
        while page is not None:
            yield page
            page = await page.next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item

    def __repr__(self) -> str:
        return f"AsyncPage(data={len(self.data)} items, has_more={self.has_more})"


class AsyncPager(Generic[T]):
    """What an AsyncParley list returns: `await` it for the first page, or `async for` straight across every item."""

    def __init__(self, first: Callable[[], Awaitable[AsyncPage[T]]]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._first().__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for item in await self._first():
            yield item


def _cursor_of(item: Any, field: str) -> Any:
    return item[field] if isinstance(item, Mapping) else getattr(item, field)
