"""What the developers' and operators' documents point at exists: a file, a test, or a name
in a module (`path/module.name`). A move that leaves a document pointing nowhere fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [*sorted(ROOT.glob("docs/*.md")), ROOT / "README.md", ROOT / "deploy" / "README.md"]
POINTER = re.compile(r"`((?:services|maag|tests|contracts|bench|deploy|docs)/[^`\s<>*]+)`")


def _exists(pointer: str) -> bool:
    path, _, test = pointer.partition("::")
    path = path.rstrip(",.:")
    if (ROOT / path).exists():
        return not test or f"def {test.split('[')[0]}(" in (ROOT / path).read_text()
    module, _, name = path.rpartition(".")  # path/module.name: a name defined in the module
    source = ROOT / f"{module}.py"
    return (
        source.is_file()
        and re.search(
            rf"^(?:def|class|async def) {re.escape(name)}\b|^{re.escape(name)}\b\s*[:=]",
            source.read_text(),
            re.M,
        )
        is not None
    )


def test_every_path_a_document_names_exists() -> None:
    pointers = [(doc.name, p) for doc in DOCS for p in POINTER.findall(doc.read_text())]
    assert len(pointers) > 50  # the documents do point at the code
    assert [(doc, p) for doc, p in pointers if not _exists(p)] == []


def test_a_pointer_to_nothing_is_seen() -> None:
    assert _exists("services/panel/domain/rules.require_package_terms")
    assert not _exists("services/panel/application/policies.commissioning_failed")
    assert not _exists("tests/unit/test_docs_paths.py::test_nothing_by_this_name")
