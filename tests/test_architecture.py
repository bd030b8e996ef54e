"""The package's shape: no import cycles, the layers in order, the public API, module sizes.

Imports are read from the source (no module is run): every ``import`` and ``from … import``,
at module level or inside a function, every ``importlib.import_module("literal")`` and the
sub-modules a package names to ``lazy_loader.attach``. Imports under ``if TYPE_CHECKING:``
are left out (they never run). The one ``import_module`` of a computed name allowed is the
job process's, which loads the entry function a job's ``job.json`` names (the runner writes
those names from functions it imports, so the runner's own imports carry the edge).
"""

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("fly64", "app")

#: each layer imports only layers before it (or its own package); models and baseline share
#: a rank and may not import each other
LAYERS = (
    ("fly64", "fly64.reporting", "fly64.physics"),
    ("fly64.data",),
    ("fly64.overlap",),
    ("fly64.models", "fly64.baseline"),
    ("fly64.metrics",),
    ("fly64.study.settings",),
    ("fly64.study.records",),
    ("fly64.study.pipeline",),
    ("fly64.study.display",),
    ("fly64.study.execution",),
    ("fly64.study.cli",),
    ("fly64.study",),  # the public API, gathered from the sub-packages
    ("app",),
)
#: computed ``import_module`` targets allowed, by module (see the module docstring)
DYNAMIC_IMPORTS = {"fly64.study.execution.job_process"}
MAX_LINES, MAX_MODULES_PER_FOLDER, MAX_STUDY_MODULES = 300, 15, 12


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = _modules()


def _owner(name: str) -> str | None:
    """The project module an imported name lives in (a submodule, else its package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imported_names(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    skip = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and "TYPE_CHECKING" in ast.unparse(branch.test)
        for stmt in branch.body
        for node in ast.walk(stmt)
    }
    names = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names |= {f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("import_module"):
            target = node.args[0]
            if isinstance(target, ast.Constant):
                names.add(target.value)
            else:
                assert module in DYNAMIC_IMPORTS, (
                    f"{module}: import_module of a computed name ({ast.unparse(target)}); "
                    "import the module by name so the import graph sees it"
                )
        elif isinstance(node, ast.keyword) and node.arg == "submod_attrs":
            names |= {f"{module}.{key.value}" for key in node.value.keys}
    return names


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    for module, path in MODULES.items():
        graph.add_node(module)
        for name in _imported_names(module, path):
            target = _owner(name)
            if target and target != module:
                graph.add_edge(module, target)
    return graph


GRAPH = _graph()


def _rank(module: str) -> tuple[int, str]:
    """A module's layer and the package that layer names (the longest prefix that matches)."""
    best = (-1, "")
    for rank, packages in enumerate(LAYERS):
        for package in packages:
            if (module == package or module.startswith(package + ".")) and len(package) > len(
                best[1]
            ):
                best = (rank, package)
    assert best[0] >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def test_the_graph_sees_the_imports_it_should():
    assert ("fly64.study.settings.model", "fly64.study.settings.checks") in GRAPH.edges
    assert ("fly64.study", "fly64.study.settings.model") in GRAPH.edges  # lazy_loader
    assert ("fly64.study.cli.main", "fly64.study.cli.run") in GRAPH.edges
    assert len(GRAPH) > 100


def test_no_import_cycles():
    cycles = [sorted(c) for c in nx.strongly_connected_components(GRAPH) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_each_layer_imports_only_the_layers_before_it():
    upward = []
    for source, target in GRAPH.edges:
        (rank_s, layer_s), (rank_t, layer_t) = _rank(source), _rank(target)
        if rank_t > rank_s or (rank_t == rank_s and layer_s != layer_t):
            upward.append(f"{source} → {target}")
    assert not upward, "imports against the layer order:\n" + "\n".join(sorted(upward))


def test_the_app_reads_the_study_through_its_public_api():
    import fly64.study

    private = sorted(
        f"{source} → {target}"
        for source, target in GRAPH.edges
        if source.startswith("app") and target.startswith("fly64.study.")
    )
    assert not private, "the app imports study internals:\n" + "\n".join(private)
    names = set()
    for module, path in MODULES.items():
        if module.startswith("app"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module == "fly64.study":
                    names |= {alias.name for alias in node.names}
    assert names <= set(fly64.study.__all__)


def test_every_public_name_of_the_study_resolves():
    import fly64.study

    for name in fly64.study.__all__:
        assert getattr(fly64.study, name) is not None, name


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_the_line_limit(module):
    lines = len(MODULES[module].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[module].relative_to(ROOT)} has {lines} lines"


def test_folders_stay_small():
    folders: dict[Path, int] = {}
    for path in MODULES.values():
        folders[path.parent] = folders.get(path.parent, 0) + 1
    crowded = {
        str(f.relative_to(ROOT)): n for f, n in folders.items() if n > MAX_MODULES_PER_FOLDER
    }
    assert not crowded, f"folders over {MAX_MODULES_PER_FOLDER} modules: {crowded}"
    assert folders[ROOT / "fly64" / "study"] <= MAX_STUDY_MODULES
