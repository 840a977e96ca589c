"""The base of the API's objects: the JSON as the API sent it, read by attribute or key, nested objects as models."""
from __future__ import annotations

import sys
import typing
from typing import Any, Dict, Iterator, Mapping, Optional

_hints: Dict[type, Dict[str, Any]] = {}


def _field_types(cls: type) -> Dict[str, Any]:
    if cls not in _hints:
        module = sys.modules[cls.__module__]
        _hints[cls] = typing.get_type_hints(cls, vars(module)) if cls is not APIObject else {}
    return _hints[cls]


def _convert(hint: Any, value: Any) -> Any:
    """The value as the annotation asks: a dict becomes its model, a list its models; anything else as sent."""
    if value is None:
        return None
    if isinstance(hint, type) and issubclass(hint, APIObject):
        return hint(value) if isinstance(value, Mapping) else value
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union:
        models = [o for o in args if isinstance(o, type) and issubclass(o, APIObject)]
        if models and isinstance(value, Mapping):
            return next((m for m in models if _matches(m, value)), models[0])(value)
        for option in args:
            if typing.get_origin(option) in (list, typing.List) and isinstance(value, list):
                return _convert(option, value)
        return value
    if origin in (list, typing.List) and isinstance(value, list) and args:
        return [_convert(args[0], v) for v in value]
    return value


def _matches(model: type, value: Mapping[str, Any]) -> bool:
    """Whether the object is this one of a union's models: its constant fields (`type`, `mode`...) agree."""
    for field, hint in _field_types(model).items():
        if typing.get_origin(hint) is typing.Literal and len(typing.get_args(hint)) == 1:
            if value.get(field) != typing.get_args(hint)[0]:
                return False
    return True


class APIObject(Mapping[str, Any]):
    """An object the API answered with. `obj.field` and `obj["field"]` read it (a field the API adds later too); nested
    objects are models of their own; `to_dict()` gives the JSON back. Objects compare equal when their JSON is."""

    __slots__ = ("_data", "_cache")

    def __init__(self, data: Optional[Mapping[str, Any]] = None, **fields: Any) -> None:
        object.__setattr__(self, "_data", dict(data or {}, **fields))
        object.__setattr__(self, "_cache", {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        key = name[:-1] if name.endswith("_") and name[:-1] in self._data else name
        if key not in self._data:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        cache = self._cache
        if key not in cache:
            cache[key] = _convert(_field_types(type(self)).get(key), self._data[key])
        return cache[key]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only: change it through the API")

    def __getitem__(self, key: str) -> Any:
        if key not in self._data:
            raise KeyError(key)
        return self.__getattr__(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, APIObject):
            return self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __dir__(self) -> Any:
        return sorted(set(super().__dir__()) | set(self._data))

    def __repr__(self) -> str:
        shown = {k: self._data[k] for k in ("id", "object", "status", "name", "number") if k in self._data}
        return f"{type(self).__name__}({shown})"

    def to_dict(self) -> Dict[str, Any]:
        """The JSON as the API sent it (a copy)."""
        import copy

        return copy.deepcopy(self._data)
