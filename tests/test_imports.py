"""No import circles inside ``rnnlab``, counting imports made inside functions too."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "rnnlab"


def imports_of(path: Path) -> set[str]:
    """The rnnlab modules one module imports, anywhere in its source."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level == 1:
            out.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
        elif node.module and node.module.startswith("rnnlab."):
            out.add(node.module.split(".")[1])
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


def test_rnnlab_has_no_import_circle():
    graph = {p.stem: imports_of(p) for p in PACKAGE.glob("*.py")}
    assert find_circle(graph) is None, " -> ".join(find_circle(graph))
