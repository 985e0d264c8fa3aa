"""No import circles inside ``rnnlab``, counting imports made inside functions too."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rnnlab"


def module_name(path: Path) -> str:
    """``trace_cli`` for rnnlab/trace_cli.py, ``analysis.trace`` for rnnlab/analysis/trace.py."""
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def imports_of(path: Path) -> set[str]:
    """The rnnlab modules one module imports, anywhere in its source (subpackages by dotted name)."""
    package = path.relative_to(PACKAGE).parent.parts
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = list(package[:len(package) - (node.level - 1)])
        elif node.module and node.module.startswith("rnnlab."):
            base = []
            node = ast.ImportFrom(module=node.module.split(".", 1)[1], names=node.names, level=0)
        else:
            continue
        if node.module:
            parts = base + node.module.split(".")
            # a subpackage's module, else the top-level module it names
            out.add(".".join(parts[:2]) if (PACKAGE / parts[0]).is_dir() and len(parts) > 1 else parts[0])
        else:
            out.update(".".join(base + [a.name]) for a in node.names)
    return out


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    def visit(module, path):
        if module in path:
            return path[path.index(module):] + [module]
        for imported in sorted(graph.get(module, ())):
            found = visit(imported, path + [module])
            if found:
                return found
        return None

    return next((c for c in (visit(m, []) for m in sorted(graph)) if c), None)


def test_find_circle_sees_a_circle_through_three_modules():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": set()}) is None


def test_modules_of_a_subpackage_are_named_by_their_path():
    graph = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}
    assert {"analysis.trace", "analysis.projection", "config"} <= set(graph)
    assert {"analysis.projection", "cells", "tracedata"} <= graph["analysis.trace"]


def test_rnnlab_has_no_import_circle():
    graph = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}
    assert find_circle(graph) is None, " -> ".join(find_circle(graph))
