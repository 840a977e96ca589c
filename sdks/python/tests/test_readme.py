"""The Python examples of the repository's README call methods this client has, with parameters the API takes."""
import ast
import inspect
import re
import typing
from pathlib import Path

from parley import Parley
from parley import types as t

README = Path(__file__).resolve().parents[3] / "README.md"


def examples():
    api = README.read_text().split("\n## API\n", 1)[1]
    return [block for block in re.findall(r"```python\n(.*?)```", api, re.S) if "client." in block]


def calls_on_client(tree):
    """(resource, method, keyword names) of each `client.<resource>.<method>(...)`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Attribute):
            owner = node.func.value
            if isinstance(owner.value, ast.Name) and owner.value.id == "client":
                yield owner.attr, node.func.attr, [k.arg for k in node.keywords if k.arg]


def accepted(method):
    """The keyword names a method takes: its own, and the fields of the TypedDict its **params unpack."""
    names = set()
    for p in inspect.signature(method).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            annotation = str(p.annotation).strip("'\"")
            if annotation == "Any":
                return None  # a list's filters: anything
            unpacked = re.fullmatch(r"Unpack\[t\.(\w+)\]", annotation)
            assert unpacked, f"{method.__qualname__}: **{p.name}: {annotation}"
            names |= set(typing.get_type_hints(getattr(t, unpacked.group(1))))
        else:
            names.add(p.name)
    return names


def test_the_readme_python_examples_use_this_client_as_it_is():
    client = Parley(api_key="sk_readme")
    blocks = examples()
    assert len(blocks) >= 9
    checked = 0
    for block in blocks:
        for resource, method, keywords in calls_on_client(ast.parse(block)):
            fn = getattr(getattr(client, resource), method, None)
            assert fn is not None, f"README calls client.{resource}.{method}, which the client does not have"
            names = accepted(fn)
            unknown = [] if names is None else [k for k in keywords if k not in names]
            assert not unknown, f"README passes {unknown} to client.{resource}.{method}, which takes {sorted(names)}"
            checked += 1
    assert checked >= 30
