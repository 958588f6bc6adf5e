"""The engine's architecture, read from a live cluster (so a diagram of it stays true).

``wiring(cluster)`` finds the components the ``Cluster`` facade wires (each attribute whose
object is an instance of a class from ``t32sim.engine``) and two kinds of link between them:

- **uses**: component A holds a reference to component B (directly, or inside an object it
  owns), or reaches B through the facade (``self.cluster.store`` in A's class source);
- **watches**: A's callback is registered with B (a list of callbacks B keeps and calls on a
  change, like the store's watches).

Nothing here is a list of components written by hand: add a controller to the engine and
it appears; remove one and it is gone.
"""
from __future__ import annotations

import ast
import dataclasses
import dis
import enum
import inspect
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from t32sim.engine.cluster import Cluster

__all__ = ["FACADE", "Component", "Link", "Wiring", "wiring"]

#: the name the facade itself has in a wiring (components that call back into it link here)
FACADE = "Cluster"
ENGINE = "t32sim.engine"
_MAX_DEPTH = 3


@dataclass(frozen=True)
class Component:
    """One part of the engine: its class, where the facade keeps it, what it does."""
    name: str          # the class name, e.g. "Kubelet"
    attribute: str     # the facade's attribute holding it: c.kubelet
    module: str        # the module that defines the class
    summary: str       # the first line of the class docstring


@dataclass(frozen=True)
class Link:
    """``source`` uses or watches ``target`` (both component names, or ``FACADE``)."""
    source: str
    target: str
    kind: str          # "uses" or "watches"


@dataclass(frozen=True)
class Wiring:
    components: tuple[Component, ...]
    links: tuple[Link, ...]

    def names(self) -> list[str]:
        return [c.name for c in self.components]

    def links_of(self, kind: str) -> list[tuple[str, str]]:
        return [(link.source, link.target) for link in self.links if link.kind == kind]


def _is_engine_object(value: Any) -> bool:
    kind = type(value)
    return (kind.__module__.startswith(ENGINE + ".") and not isinstance(value, type)
            and not isinstance(value, (enum.Enum, BaseException)) and hasattr(value, "__dict__"))


def _summary(kind: type) -> str:
    doc = inspect.getdoc(kind) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _components(cluster: "Cluster") -> dict[int, Component]:
    found: dict[int, Component] = {}
    for attribute, value in vars(cluster).items():
        if _is_engine_object(value) and not dataclasses.is_dataclass(value) \
                and id(value) not in found:
            kind = type(value)
            found[id(value)] = Component(kind.__name__, attribute, kind.__module__,
                                         _summary(kind))
    return found


def _parts(value: Any, stop: set[int], depth: int = 0) -> Iterator[tuple[Any, str, Any]]:
    """``(owner, attribute, value)`` for the attributes of ``value`` and, recursively, of the
    engine objects it owns (its parts); never into the objects in ``stop`` (the facade and
    the other components)."""
    for attribute, item in vars(value).items():
        yield value, attribute, item
        if depth < _MAX_DEPTH and _is_engine_object(item) and id(item) not in stop:
            yield from _parts(item, stop, depth + 1)


def _reads_through(kind: type, attribute: str) -> set[str]:
    """Names read as ``self.<attribute>.<name>`` in the methods of ``kind`` (and of its
    engine bases)."""
    names: set[str] = set()
    for base in kind.__mro__:
        if not base.__module__.startswith(ENGINE + "."):
            continue
        for member in vars(base).values():
            function = getattr(member, "fget", None) or getattr(member, "__func__", member)
            if not inspect.isfunction(function):
                continue
            try:
                tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
            except (OSError, TypeError, SyntaxError):
                continue
            names |= _reads_in(tree, attribute)
    return names


def _is_self_attribute(node: ast.AST, attribute: str) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == attribute
            and isinstance(node.value, ast.Name) and node.value.id == "self")


def _reads_in(function: ast.AST, attribute: str) -> set[str]:
    """``self.<attribute>.<name>`` reads in one function, also through a local alias
    (``cluster = self.cluster`` ... ``cluster.store``)."""
    aliases = set()
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            pairs = ([(target, node.value)] if not isinstance(target, ast.Tuple) else
                     zip(target.elts, node.value.elts) if isinstance(node.value, ast.Tuple)
                     and len(node.value.elts) == len(target.elts) else [])
            aliases |= {name.id for name, value in pairs if isinstance(name, ast.Name)
                        and _is_self_attribute(value, attribute)}
    return {node.attr for node in ast.walk(function) if isinstance(node, ast.Attribute)
            and (_is_self_attribute(node.value, attribute)
                 or (isinstance(node.value, ast.Name) and node.value.id in aliases))}


def _called_through(function: Any, cluster: "Cluster", components: dict[int, Component],
                    by_attribute: dict[str, Component]) -> set[str]:
    """What a function a component was handed calls: a bound method calls its object (the
    facade or a component); a closure calls the components it holds, and through the
    Cluster the components whose attributes it names (``lambda state:
    self.rollouts.plan(state)``) or the facade's own methods (``self._command``)."""
    owner = getattr(function, "__self__", None)
    if owner is cluster:
        return {FACADE}
    if owner is not None:
        return {components[id(owner)].name} if id(owner) in components else set()
    code = getattr(function, "__code__", None)
    held = dict(zip(code.co_freevars, map(_cell_value, function.__closure__ or ()))) \
        if code is not None else {}
    found = {components[id(item)].name for item in held.values() if id(item) in components}
    for name in _attributes_read(function, {v for v, item in held.items() if item is cluster}):
        if name in by_attribute:
            found.add(by_attribute[name].name)
        elif callable(getattr(type(cluster), name, None)):
            found.add(FACADE)
    return found


def _attributes_read(function: Any, variables: set[str]) -> set[str]:
    """The attributes ``function`` reads directly on the free ``variables``
    (``self.rollouts`` in ``lambda state: self.rollouts.plan(state)``: ``rollouts``)."""
    names, previous = set(), None
    for instruction in dis.get_instructions(function) if variables else ():
        if previous is not None and previous.opname == "LOAD_DEREF" \
                and previous.argval in variables and instruction.opname in ("LOAD_ATTR",
                                                                            "LOAD_METHOD"):
            names.add(instruction.argval)
        previous = instruction
    return names


def _cell_value(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:          # a cell not filled yet
        return None


def _owner_of_callback(callback: Any, cluster: "Cluster", components: dict[int, Component],
                       holders: dict[int, str]) -> str | None:
    """The component (or the facade) a registered callback belongs to."""
    owner = getattr(callback, "__self__", None)
    if owner is cluster:
        return FACADE
    if owner is not None:
        if id(owner) in components:
            return components[id(owner)].name
        return holders.get(id(owner))
    for cell in getattr(callback, "__closure__", None) or ():
        try:
            held = cell.cell_contents
        except ValueError:
            continue
        if held is cluster:
            return FACADE
        if id(held) in components:
            return components[id(held)].name
    return None


def wiring(cluster: "Cluster | None" = None) -> Wiring:
    """The components of ``cluster`` (a fresh ``Cluster()`` by default) and their links."""
    if cluster is None:
        from t32sim.engine.cluster import Cluster
        cluster = Cluster(seed=0)
    components = _components(cluster)
    objects = {id(v): v for v in vars(cluster).values() if id(v) in components}
    by_attribute = {c.attribute: c for c in components.values()}
    stop = {id(cluster), *components}
    holders: dict[int, str] = {}         # id of an object a component owns -> that component
    for key, component in components.items():
        for _, _, item in _parts(objects[key], stop - {key}):
            if id(item) not in stop:
                holders.setdefault(id(item), component.name)
    links: set[Link] = set()
    for key, component in components.items():
        value = objects[key]
        for owner, attribute, item in _parts(value, stop - {key}):
            if item is cluster:
                for name in _reads_through(type(owner), attribute):
                    target = by_attribute.get(name)
                    if target is not None:
                        links.add(Link(component.name, target.name, "uses"))
                    elif callable(getattr(type(cluster), name, None)) or name.startswith("_"):
                        links.add(Link(component.name, FACADE, "uses"))
            elif id(item) in components and item is not value:
                links.add(Link(component.name, components[id(item)].name, "uses"))
            elif callable(item) and not isinstance(item, type):
                for target in _called_through(item, cluster, components, by_attribute):
                    links.add(Link(component.name, target, "uses"))
            elif isinstance(item, (list, tuple)) and item and all(callable(i) for i in item):
                for callback in item:
                    watcher = _owner_of_callback(callback, cluster, components, holders)
                    if watcher is not None and watcher != component.name:
                        links.add(Link(watcher, component.name, "watches"))
    links.discard(Link(FACADE, FACADE, "uses"))
    order = [c.name for c in components.values()]
    rank = {name: i for i, name in enumerate([FACADE, *order])}
    return Wiring(tuple(components.values()),
                  tuple(sorted(links, key=lambda l: (l.kind, rank[l.source], rank[l.target]))))
