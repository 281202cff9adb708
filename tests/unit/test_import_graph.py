"""The packages depend one way: services on the runtime and the contracts, never the
reverse; the runtime on nothing that knows a service; the contracts on nothing of ours.
Read from the source (every import, also those inside functions), not from what happens
to be loaded."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OURS = ("contracts", "maag", "services", "bench", "tests")


def module_of(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, root: Path = ROOT) -> set[str]:
    """The project modules `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module_of(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], base]).strip(".")
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] in OURS}


def unit(module: str) -> str:
    """The package a module counts towards: each service, the runtime, the audit, ..."""
    parts = module.split(".")
    if parts[0] == "services" and len(parts) > 1:
        return ".".join(parts[:2])
    if parts[0] == "maag" and len(parts) > 1:
        return ".".join(parts[:2])  # a subpackage, or a module of its own (cli, services)
    return parts[0]


def graph(*tops: str, root: Path = ROOT) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for top in tops:
        for path in (root / top).rglob("*.py"):
            edges[module_of(path, root)] |= imports(path, root)
    return edges


def offences(edges: dict[str, set[str]], rule: Mapping[str, tuple[str, ...]]) -> list[str]:
    """`rule`: package -> the prefixes its modules may import."""
    out = []
    for module, targets in sorted(edges.items()):
        for package, allowed in rule.items():
            if module == package or module.startswith(package + "."):
                out += [
                    f"{module} imports {t}"
                    for t in sorted(targets)
                    if not any(t == a or t.startswith(a + ".") for a in allowed)
                ]
    return out


def test_contracts_import_nothing_of_the_project() -> None:
    assert offences(graph("contracts"), {"contracts": ("contracts",)}) == []


def test_the_runtime_imports_only_itself_and_the_contracts() -> None:
    rule = {"maag.runtime": ("maag.runtime", "contracts")}
    assert offences(graph("maag"), rule) == []


def test_each_service_imports_only_itself_the_runtime_and_the_contracts() -> None:
    edges = graph("services")
    services = {unit(m) for m in edges if m.count(".") >= 1}
    rule = {s: (s, "maag.runtime", "contracts") for s in services}
    assert offences(edges, rule) == []
    assert services >= {"services.referral", "services.panel"}


def test_no_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph("contracts", "maag", "services").items():
        edges[unit(module)] |= {unit(t) for t in targets} - {unit(module)}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(node, ())):
            if nxt in path:
                cycles.append(" -> ".join([*path[path.index(nxt) :], nxt]))
            elif len(path) < len(edges) + 1:
                visit(nxt, [*path, nxt])

    for start in sorted(edges):
        visit(start, [start])
    assert cycles == []


def test_the_checks_see_an_offence(tmp_path: Path) -> None:
    # The rules above pass vacuously if imports went unseen: a planted one is found.
    planted = tmp_path / "maag" / "runtime" / "_planted_for_test.py"
    planted.parent.mkdir(parents=True)
    planted.write_text("def f() -> None:\n    from maag.ops.audit import render  # noqa\n")
    found = offences(graph("maag", root=tmp_path), {"maag.runtime": ("maag.runtime", "contracts")})
    assert found == [
        "maag.runtime._planted_for_test imports maag.ops.audit",
        "maag.runtime._planted_for_test imports maag.ops.audit.render",
    ]


def _services() -> list[str]:
    return sorted(p.name for p in (ROOT / "services").iterdir() if (p / "service.py").is_file())


def test_inside_each_service_the_layers_depend_inwards() -> None:
    """The domain imports no application, adapter or wiring (and no runtime plumbing: it has
    no I/O); the application imports no adapter or wiring."""
    edges = graph("services")
    rule: dict[str, tuple[str, ...]] = {}
    for name in _services():
        s = f"services.{name}"
        rule[f"{s}.domain"] = (f"{s}.domain", "contracts")
        rule[f"{s}.application"] = (
            f"{s}.application",
            f"{s}.domain",
            "maag.runtime",
            "contracts",
        )
    assert offences(edges, rule) == []
    assert len(rule) >= 8  # the four back-end services, each with both layers


def test_the_operators_tools_reach_a_service_only_through_its_wiring() -> None:
    """`maag.ops` (the CLI, deployment, demo, ...) knows a service by its `service.py` and
    `spec.py` and the registry (`maag.services`), never its insides."""
    edges = graph("maag")
    services = [f"services.{name}" for name in _services()]
    out = [
        f"{module} imports {t}"
        for module, targets in sorted(edges.items())
        if module.startswith("maag.ops")
        for t in sorted(targets)
        if t.startswith("services.")
        and not any(
            t in (s, w) or t.startswith(w + ".")
            for s in services
            for w in (f"{s}.service", f"{s}.spec")
        )
    ]
    assert out == []


def test_tests_and_the_benchmarks_share_code_only_through_tests_support() -> None:
    """A benchmark uses `tests.support` (the one shared package), never a test; a test never
    imports a benchmark, except the tests of the benchmarks themselves (`tests/unit/bench`,
    `tests/integration/bench`)."""
    bench = offences(
        graph("bench"), {"bench": ("bench", "tests.support", "contracts", "maag", "services")}
    )
    tests = [
        f"{module} imports {t}"
        for module, targets in sorted(graph("tests").items())
        if not module.startswith(("tests.unit.bench", "tests.integration.bench"))
        for t in sorted(targets)
        if t == "bench" or t.startswith("bench.")
    ]
    assert bench + tests == []
