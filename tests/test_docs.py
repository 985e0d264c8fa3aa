"""README.md's Layout section names every file of the repository, and nothing else."""
from __future__ import annotations

import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Made by tools, runs or git; never part of the tree the README describes (see .gitignore).
NOT_SOURCE = {".git", "__pycache__", ".pytest_cache", ".benchmarks", ".hypothesis", ".venv", "runs", "data",
              "test-output"}


def layout_entries(readme: str) -> list[str]:
    """The paths in the Layout section's tree: two spaces of indent per folder level."""
    section = readme.split("\n## Layout\n", 1)[1]
    tree = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    entries, folders = [], []
    for line in tree.splitlines():
        indent = (len(line) - len(line.lstrip(" "))) // 2
        name = line.split()[0]
        folders = folders[:indent]
        entries.append("".join(folders) + name)
        if name.endswith("/"):
            folders.append(name)
    return entries


def repository_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.is_file() and not NOT_SOURCE & set(p.relative_to(root).parts)
                  and not p.name.endswith((".pyc", ".egg-info")))


def covers(entry: str, path: str, entries: list[str]) -> bool:
    """A file entry (globs allowed) names that file; a folder with nothing listed under it names all it holds."""
    if entry.endswith("/"):
        return path.startswith(entry) and not any(e != entry and e.startswith(entry) for e in entries)
    return fnmatch.fnmatchcase(path, entry)


def unlisted_and_missing(entries: list[str], files: list[str]) -> tuple[list[str], list[str]]:
    unlisted = [f for f in files if not any(covers(e, f, entries) for e in entries)]
    missing = [e for e in entries if not any(f.startswith(e) if e.endswith("/") else covers(e, f, entries)
                                             for f in files)]
    return unlisted, missing


def test_the_readme_layout_is_the_tree():
    entries = layout_entries((ROOT / "README.md").read_text(encoding="utf-8"))
    unlisted, missing = unlisted_and_missing(entries, repository_files(ROOT))
    assert not unlisted, f"files the README's Layout does not name: {unlisted}"
    assert not missing, f"the README's Layout names what is not there: {missing}"


def test_a_new_file_or_a_stale_entry_is_seen():
    readme = ("intro\n## Layout\n```text\napp.py       entry\nrnnlab/      logic\n  config.py  settings\n"
              "tests/\n  test_*.py  tests\n  fixtures/  data\n```\n")
    entries = layout_entries(readme)
    assert entries == ["app.py", "rnnlab/", "rnnlab/config.py", "tests/", "tests/test_*.py", "tests/fixtures/"]
    files = ["app.py", "rnnlab/config.py", "rnnlab/cells.py", "tests/test_a.py", "tests/fixtures/x.json"]
    assert unlisted_and_missing(entries, files) == (["rnnlab/cells.py"], [])
    assert unlisted_and_missing([*entries, "rnnlab/cells.py", "rnnlab/gone.py"], files) == ([], ["rnnlab/gone.py"])
