#!/usr/bin/env python3
"""Writes src/parley/types.py from the API's OpenAPI document, and src/parley/_async_resources.py (AsyncParley's
types) from resources.py.

    python3 sdks/python/scripts/generate.py [openapi.json] [--check]

The document defaults to packages/sdk/openapi.json (which a test in the api keeps equal to what the api serves).
With --check nothing is written: the exit status says whether both files are what they are made from (tests run it
against the document a running api serves, so the models cannot drift from the API).
"""
from __future__ import annotations

import json
import keyword
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "parley" / "types.py"
RESOURCES = HERE.parent / "src" / "parley" / "resources.py"
ASYNC_OUT = HERE.parent / "src" / "parley" / "_async_resources.py"
DEFAULT_DOC = HERE.parents[2] / "packages" / "sdk" / "openapi.json"

# name: (path, method, status, where in the answer: "" the whole body, "item" a list's data item)
MODELS: List[Tuple[str, str, str, str, str]] = [
    ("Call", "/v1/calls/{id}", "get", "200", ""),
    ("WebCall", "/v1/calls/web", "post", "201", ""),
    ("Transcript", "/v1/calls/{id}/transcript", "get", "200", ""),
    ("CallTimeline", "/v1/calls/{id}/events", "get", "200", ""),
    ("Agent", "/v1/agents/{id}", "get", "200", ""),
    ("PhoneNumber", "/v1/numbers/{id}", "get", "200", ""),
    ("Trunk", "/v1/trunks/{id}", "get", "200", ""),
    ("Balance", "/v1/balance", "get", "200", ""),
    ("LedgerEntry", "/v1/credit_ledger", "get", "200", "item"),
    ("Account", "/v1/account", "get", "200", ""),
    ("WebhookEndpoint", "/v1/webhook_endpoints", "post", "201", ""),
    ("WebhookDelivery", "/v1/webhook_deliveries/{id}", "get", "200", ""),
    ("Campaign", "/v1/campaigns/{id}", "get", "200", ""),
    ("CampaignRecipient", "/v1/campaigns/{id}/recipients", "get", "200", "item"),
    ("RecipientsUpload", "/v1/campaigns/{id}/recipients", "post", "200", ""),
    ("DoNotCallEntry", "/v1/do_not_call/{number}", "get", "200", ""),
    ("DoNotCallImport", "/v1/do_not_call/import", "post", "200", ""),
    ("Deleted", "/v1/agents/{id}", "delete", "200", ""),
]
# Nested objects named for what they are rather than where they sit.
NESTED_NAMES = {
    ("Transcript", "segments"): "TranscriptSegment",
    ("CallTimeline", "data"): "CallEvent",
    ("CallLatency", "stt_ms"): "LatencyStats",
}

# name: (path, method, "body" or "query")
PARAMS: List[Tuple[str, str, str, str]] = [
    ("CallCreateParams", "/v1/calls", "post", "body"),
    ("CallListParams", "/v1/calls", "get", "query"),
    ("WebCallCreateParams", "/v1/calls/web", "post", "body"),
    ("AgentCreateParams", "/v1/agents", "post", "body"),
    ("AgentUpdateParams", "/v1/agents/{id}", "patch", "body"),
    ("PhoneNumberCreateParams", "/v1/numbers", "post", "body"),
    ("PhoneNumberUpdateParams", "/v1/numbers/{id}", "patch", "body"),
    ("TrunkCreateParams", "/v1/trunks", "post", "body"),
    ("TrunkUpdateParams", "/v1/trunks/{id}", "patch", "body"),
    ("WebhookEndpointCreateParams", "/v1/webhook_endpoints", "post", "body"),
    ("WebhookEndpointUpdateParams", "/v1/webhook_endpoints/{id}", "patch", "body"),
    ("CampaignCreateParams", "/v1/campaigns", "post", "body"),
    ("CampaignUpdateParams", "/v1/campaigns/{id}", "patch", "body"),
    ("DoNotCallAddParams", "/v1/do_not_call", "post", "body"),
]


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.replace("-", "_").split("_") if part)


class Generator:
    def __init__(self, doc: Dict[str, Any]) -> None:
        self.doc = doc
        self.classes: List[str] = []  # in dependency order: a nested class before its parent
        self.names: set = set()
        self.shapes: Dict[str, str] = {}
        self.models: Dict[str, Dict[str, Any]] = {}  # top-level model: its properties

    def operation(self, path: str, method: str) -> Dict[str, Any]:
        try:
            return self.doc["paths"][path][method]
        except KeyError:
            raise SystemExit(f"generate.py: the document has no {method.upper()} {path}") from None

    def answer(self, path: str, method: str, status: str) -> Dict[str, Any]:
        return self.operation(path, method)["responses"][status]["content"]["application/json"]["schema"]

    def annotation(self, schema: Dict[str, Any], owner: str, prop: str, objects: bool) -> str:
        """The Python type of a schema; objects with properties become classes (models) when `objects`."""
        if "const" in schema:
            return f"Literal[{literal(schema['const'])}]"
        if "enum" in schema:
            return "Literal[" + ", ".join(literal(v) for v in schema["enum"]) + "]"
        for union in ("anyOf", "oneOf"):
            if union in schema:
                options = schema[union]
                nullable = any(o.get("type") == "null" for o in options)
                rest = [o for o in options if o.get("type") != "null"]
                if len(rest) == 1:
                    inner = self.annotation(rest[0], owner, prop, objects)
                else:
                    inner = self.union([self.annotation(o, owner, prop + variant(o, i), objects) for i, o in enumerate(rest)])
                return f"Optional[{inner}]" if nullable else inner
        kind = schema.get("type")
        if isinstance(kind, list):
            nullable = "null" in kind
            rest = [k for k in kind if k != "null"]
            inner = self.union([self.annotation({**schema, "type": k}, owner, prop, objects) for k in rest]) if rest else "None"
            return f"Optional[{inner}]" if nullable else inner
        if kind == "string":
            return "str"
        if kind == "integer":
            return "int"
        if kind == "number":
            return "float"
        if kind == "boolean":
            return "bool"
        if kind == "null":
            return "None"
        if kind == "array":
            items = schema.get("items") or {}
            return f"List[{self.annotation(items, owner, prop, objects)}]"
        if kind == "object" and schema.get("properties") and objects:
            return self.model(NESTED_NAMES.get((owner, prop), owner + pascal(prop)), schema, f"Part of {owner}.", nested=True)
        return "Dict[str, Any]" if kind == "object" else "Any"

    @staticmethod
    def union(types: List[str]) -> str:
        unique = list(dict.fromkeys(types))
        return unique[0] if len(unique) == 1 else "Union[" + ", ".join(unique) + "]"

    def model(self, name: str, schema: Dict[str, Any], origin: str, nested: bool = False) -> str:
        shape = json.dumps(schema, sort_keys=True)
        if nested and shape in self.shapes:
            return self.shapes[shape]  # the same object elsewhere: one class
        if name in self.names:
            raise SystemExit(f"generate.py: two classes would be named {name}: add a name to NESTED_NAMES")
        self.names.add(name)
        if nested:
            self.shapes[shape] = name
        props = schema.get("properties", {})
        # A top-level object that is another one and more (a web call is a call with its access token) extends it.
        base = "APIObject" if nested else next((b for b, p in self.models.items() if p.items() <= props.items()), "APIObject")
        if not nested:
            self.models[name] = props
        inherited = self.models.get(base, {}) if base != "APIObject" else {}
        lines = [f"class {name}({base}):"]
        lines.append(f'    """{origin}"""')
        for prop, sub in props.items():
            if prop in inherited:
                continue
            field = prop + "_" if keyword.iskeyword(prop) else prop
            doc = sub.get("description")
            lines.append(f"    {field}: {self.annotation(sub, name, prop, True)}" + (f"  # {one_line(doc)}" if doc else ""))
        if len(lines) == 2:
            lines.append("    pass")
        self.classes.append("\n".join(lines))
        return name

    def params(self, name: str, schema: Dict[str, Any], required: List[str], origin: str) -> None:
        props = schema.get("properties", {})
        must = [p for p in props if p in required]
        may = [p for p in props if p not in required]

        def fields(names: List[str]) -> List[str]:
            out = []
            for p in names:
                doc = props[p].get("description")
                out.append(f"    {p}: {self.annotation(props[p], name, p, False)}" + (f"  # {one_line(doc)}" if doc else ""))
            return out

        if must:
            self.classes.append("\n".join([f"class _{name}Required(TypedDict):", *fields(must)]))
            head = f"class {name}(_{name}Required, total=False):"
        else:
            head = f"class {name}(TypedDict, total=False):"
        self.classes.append("\n".join([head, f'    """{origin}"""', *(fields(may) or ["    pass"])]))

    def run(self) -> str:
        for name, path, method, status, where in MODELS:
            schema = self.answer(path, method, status)
            origin = f"What {method.upper()} {path} answers" + (" (each item of its data)" if where == "item" else "") + "."
            if where == "item":
                schema = schema["properties"]["data"]["items"]
            self.model(name, schema, origin)
        for name, path, method, where in PARAMS:
            op = self.operation(path, method)
            if where == "body":
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                self.params(name, schema, schema.get("required", []), f"The JSON body of {method.upper()} {path}.")
            else:
                query = {p["name"]: p["schema"] for p in op.get("parameters", []) if p.get("in") == "query"}
                required = [p["name"] for p in op.get("parameters", []) if p.get("in") == "query" and p.get("required")]
                self.params(name, {"properties": query}, required, f"The query of {method.upper()} {path}.")
        version = self.doc.get("info", {}).get("version", "")
        head = [
            f'"""The API\'s objects and parameters, generated from its OpenAPI document (version {version}) by',
            "scripts/generate.py: do not edit. Objects are read by attribute (`call.status`) or key (`call[\"status\"]`);",
            'fields the API adds later are readable too."""',
            "from __future__ import annotations",
            "",
            "from typing import Any, Dict, List, Optional, Union",
            "",
            "from ._models import APIObject",
            "",
            "try:",
            "    from typing import Literal, TypedDict",
            "except ImportError:  # pragma: no cover",
            "    from typing_extensions import Literal, TypedDict  # type: ignore",
            "",
            "__all__ = [" + ", ".join(json.dumps(n) for n, *_ in MODELS + PARAMS) + "]",
        ]
        return "\n".join(head) + "\n\n\n" + "\n\n\n".join(self.classes) + "\n"


def variant(schema: Dict[str, Any], index: int) -> str:
    """What tells one object of a union from the others: the value of its constant field (`type`, `mode`...)."""
    for prop, sub in schema.get("properties", {}).items():
        if "const" in sub:
            return "_" + str(sub["const"])
        if isinstance(sub.get("enum"), list) and len(sub["enum"]) == 1:
            return "_" + str(sub["enum"][0])
    return f"_{index + 1}"


def async_resources(source: str) -> str:
    """The resources as AsyncParley's type checkers see them: the same classes and signatures, each method awaited
    (`async def`), a list an AsyncPager, the transcript stream an AsyncIterator. Types only: at run time AsyncParley
    uses resources.py's classes, whose methods return its awaitables."""
    import ast

    tree = ast.parse(source)
    # Where each line of the source starts (ast positions are line and column).
    line_start = [0]
    for line in source.splitlines(keepends=True):
        line_start.append(line_start[-1] + len(line))
    out = [
        '"""The resources\' types for AsyncParley, generated from resources.py by scripts/generate.py: do not edit. Type',
        'checkers read these; at run time AsyncParley uses resources.py\'s classes, whose methods give awaitables."""',
        "from __future__ import annotations",
        "",
        "from pathlib import Path",
        "from typing import TYPE_CHECKING, Any, AsyncIterator, Iterable, Mapping, Optional, Union",
        "",
        "try:",
        "    from typing import Protocol",
        "except ImportError:  # pragma: no cover",
        "    from typing_extensions import Protocol  # type: ignore",
        "",
        "from . import types as t",
        "from ._pagination import AsyncPager",
        "",
        "if TYPE_CHECKING:",
        "    from typing_extensions import Unpack",
    ]
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
            continue
        out += ["", "", f"class Async{node.name}(Protocol):"]
        doc = ast.get_docstring(node)
        if doc:
            out.append(f'    """{doc}"""')
        for fn in node.body:
            if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
                continue
            # The parameters as written: from after "def name(" to the ")" before the return annotation.
            start = source.index("(", line_start[fn.lineno - 1] + fn.col_offset) + 1
            end = source.rindex(")", start, line_start[fn.returns.lineno - 1] + fn.returns.col_offset) if fn.returns else source.index("):", start)
            args = " ".join(source[start:end].split())
            returns = ast.get_source_segment(source, fn.returns) if fn.returns else "Any"
            if returns.startswith("Page["):
                head, returns = "def", "AsyncPager" + returns[len("Page"):]
            elif returns.startswith("Iterator["):
                head, returns = "def", "AsyncIterator" + returns[len("Iterator"):]
            else:
                head = "async def"
            out.append(f"    {head} {fn.name}({args}) -> {returns}: ...")
    return "\n".join(out) + "\n"


def literal(value: Any) -> str:
    """A JSON value as Python source (true -> True)."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def main(argv: List[str]) -> int:
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    source: Optional[str] = args[0] if args else None
    doc = json.loads(Path(source).read_text() if source and source != "-" else sys.stdin.read() if source == "-" else DEFAULT_DOC.read_text())
    outputs = {OUT: Generator(doc).run(), ASYNC_OUT: async_resources(RESOURCES.read_text())}
    if check:
        stale = [str(path) for path, text in outputs.items() if not path.exists() or path.read_text() != text]
        if stale:
            print(f"{', '.join(stale)} differ from what the document and resources.py give: run scripts/generate.py", file=sys.stderr)
            return 1
        return 0
    for path, text in outputs.items():
        path.write_text(text)
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
