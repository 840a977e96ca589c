"""Server-Sent Events (text/event-stream), from the chunks of text a response arrives in."""
from __future__ import annotations

from typing import AsyncIterable, AsyncIterator, Iterable, Iterator, List, Optional, Tuple

Event = Tuple[str, str]


class _Parser:
    """Feeds on text; gives each complete event (name, data). Comments (`: ping`) and retry/id fields are skipped."""

    def __init__(self) -> None:
        self.buffer = ""

    def feed(self, chunk: str) -> List[Event]:
        self.buffer += chunk.replace("\r\n", "\n").replace("\r", "\n")
        events: List[Event] = []
        while True:
            end = self.buffer.find("\n\n")
            if end < 0:
                return events
            block, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            event = _event(block)
            if event:
                events.append(event)


def _event(block: str) -> Optional[Event]:
    name = "message"
    data: List[str] = []
    for line in block.split("\n"):
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return (name, "\n".join(data)) if data else None


def server_sent_events(chunks: Iterable[str]) -> Iterator[Event]:
    parser = _Parser()
    for chunk in chunks:
        yield from parser.feed(chunk)


async def server_sent_events_async(chunks: AsyncIterable[str]) -> AsyncIterator[Event]:
    parser = _Parser()
    async for chunk in chunks:
        for event in parser.feed(chunk):
            yield event
