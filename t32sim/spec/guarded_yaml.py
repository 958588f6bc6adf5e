"""YAML read defensively: safe types only, size, node and depth budgets, no duplicate keys.

``parse_yaml_documents`` turns a stream of documents into Python data or raises
``SpecError``; ``read_file`` and ``decode`` refuse oversized or non-UTF-8 input before
anything is parsed.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from t32sim.spec.errors import SpecError
from t32sim.spec.limits import MAX_DOCUMENT_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES


_MERGE_TAG = "tag:yaml.org,2002:merge"

try:    # libyaml scans and parses in C; composing and constructing stay in Python (below)
    from yaml._yaml import CParser as _CParser
except ImportError:                                    # pragma: no cover - pure-Python PyYAML
    _CParser = None

if _CParser is not None:
    class _SafeLoaderBase(Composer, _CParser, SafeConstructor, Resolver):
        """yaml.CSafeLoader's parts, but with the Python composer so nodes can be counted."""

        def __init__(self, text: str):
            _CParser.__init__(self, text)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
else:                                                  # pragma: no cover
    _SafeLoaderBase = yaml.SafeLoader


class _GuardedLoader(_SafeLoaderBase):
    """A SafeLoader that refuses alias bombs and deep nesting while composing.

    Nodes are counted as if every alias were expanded (an alias counts the size of the
    node it names), so a "billion laughs" document stops after MAX_YAML_NODES nodes.
    """

    def __init__(self, text: str):
        super().__init__(text)
        self._expanded_size: dict[int, int] = {}   # id(node) -> node count, aliases expanded
        self._count = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                size = self._expanded_size.get(id(target))
                if size is None:
                    raise _refuse(f"alias *{event.anchor} refers to a node that contains it",
                                  event.start_mark)
                self._add(size, event.start_mark)
            return super().compose_node(parent, index)
        mark = self.peek_event().start_mark
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise _refuse(f"YAML nested deeper than {MAX_YAML_DEPTH} levels", mark)
        before = self._count
        node = super().compose_node(parent, index)
        self._depth -= 1
        self._add(1, mark)
        self._expanded_size[id(node)] = self._count - before
        return node

    def new_document(self) -> None:
        """Forget the node sizes of earlier documents (their anchors are out of scope, and
        the ids of freed nodes may be reused); the node count goes on across documents."""
        self._expanded_size.clear()

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        """As SafeLoader, but a key given twice in one mapping is an error (merges aside)."""
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node)
                if key in first_line:
                    raise _invalid_yaml(f"duplicate field {key!r} (first at line "
                                        f"{first_line[key]})", key_node.start_mark)
                first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def _add(self, nodes: int, mark: Any) -> None:
        self._count += nodes
        if self._count > MAX_YAML_NODES:
            raise _refuse(f"YAML with more than {MAX_YAML_NODES} nodes once aliases are "
                          "expanded (an alias bomb?)", mark)


def _refuse(problem: str, mark: Any) -> SpecError:
    return SpecError([("", f"refused {problem}, at line {mark.line + 1}, "
                           f"column {mark.column + 1}")])


def _invalid_yaml(problem: str, mark: Any) -> SpecError:
    return SpecError([("", f"invalid YAML at line {mark.line + 1}, column {mark.column + 1}: "
                           f"{problem}")])


def _check_size(size: int) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise SpecError([("", f"expected a document of at most {MAX_DOCUMENT_BYTES} bytes "
                              f"(64 KiB), got {size} bytes")])


def parse_yaml_documents(text: str) -> list[Any]:
    """Every document of a ``---``-separated stream, as ``kubectl apply -f`` reads a file;
    empty documents are left out. The node budget covers the whole stream."""
    return [doc for doc in _parse(text) if doc is not None]


def _parse(text: str) -> list[Any]:
    if len(text) > MAX_DOCUMENT_BYTES:          # cheap test first: a char is >= 1 byte
        _check_size(len(text))
    _check_size(len(text.encode("utf-8", "surrogatepass")))
    loader = None
    try:
        loader = _GuardedLoader(text)
        documents = []
        while loader.check_node():
            loader.new_document()
            documents.append(loader.construct_document(loader.get_node()))
        return documents
    except SpecError:
        raise
    except yaml.MarkedYAMLError as error:
        raise SpecError([("", _yaml_error_message(error))]) from None
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        raise SpecError([("", f"invalid YAML at line {line}: unacceptable character "
                              f"{chr(error.character)!r} ({error.reason})")]) from None
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as error:
        raise SpecError([("", f"invalid YAML: {str(error)[:200]}")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _yaml_error_message(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    problem = error.problem or error.context or "unreadable"
    context = ""
    if error.context and error.problem:
        started = error.context_mark
        context = (f" ({error.context} started at line {started.line + 1}, column "
                   f"{started.column + 1})" if started else f" ({error.context})")
    return f"invalid YAML{where}: {problem}{context}"


def read_file(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise SpecError([("", f"cannot read spec file {str(path)!r}: no such file")]) from None
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise SpecError([("", f"cannot read spec file {str(path)!r}: {reason}")]) from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SpecError([("", f"expected a document of at most {MAX_DOCUMENT_BYTES} bytes "
                              f"(64 KiB), got {max(size, len(data))} bytes in {str(path)!r}")])
    return decode(data)


def decode(data: bytes) -> str:
    _check_size(len(data))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError([("", f"expected UTF-8 text, got byte {data[error.start]:#04x} at "
                              f"offset {error.start}")]) from None


def is_path(source: Any) -> bool:
    if isinstance(source, os.PathLike):
        return True
    return (isinstance(source, str) and "\n" not in source
            and source.strip().endswith((".yaml", ".yml")))


