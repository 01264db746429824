"""Which of the student's global names a test cell reads.

Only these are carried to the checker kernel before the test runs. The cell is
walked in evaluation order, so a name the test reads before it binds it (as in
`orig = squares; del squares; ...; squares = orig`) is carried, while names
the test defines itself (`_layers = model.layers`), imports, or binds in a
comprehension or function are not.
"""

from __future__ import annotations

import ast
import builtins

_BUILTINS = frozenset(dir(builtins))


class _Reads(ast.NodeVisitor):
    def __init__(self):
        self.scopes: list[set[str]] = [set()]
        self.read: set[str] = set()

    # -- names ------------------------------------------------------------------
    def _bound(self, name: str) -> bool:
        return any(name in scope for scope in self.scopes)

    def _bind(self, name: str) -> None:
        self.scopes[-1].add(name)

    def _use(self, name: str) -> None:
        if not self._bound(name):
            self.read.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self._bind(node.id)
        else:  # Load, or Del of a name the student defined
            self._use(node.id)

    # -- evaluation order: values before the targets they are bound to -------------
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self._use(node.target.id)
        self.visit(node.value)
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node: ast.For) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for child in node.body + node.orelse:
            self.visit(child)

    visit_AsyncFor = visit_For

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._bind((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for child in node.body:
            self.visit(child)

    # -- new scopes -------------------------------------------------------------
    def _in_scope(self, names: set[str], nodes: list) -> None:
        self.scopes.append(set(names))
        for child in nodes:
            self.visit(child)
        self.scopes.pop()

    def visit_FunctionDef(self, node) -> None:
        for child in node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(child)
        self._bind(node.name)
        self._in_scope(_parameters(node.args), node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for child in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(child)
        self._in_scope(_parameters(node.args), [node.body])

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for child in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(child)
        self._bind(node.name)
        self._in_scope(set(), node.body)

    def _comprehension(self, node, results: list) -> None:
        first, *rest = node.generators
        self.visit(first.iter)  # evaluated in the enclosing scope
        self.scopes.append(set())
        self.visit(first.target)
        for child in first.ifs:
            self.visit(child)
        for generator in rest:
            self.visit(generator.iter)
            self.visit(generator.target)
            for child in generator.ifs:
                self.visit(child)
        for child in results:
            self.visit(child)
        self.scopes.pop()

    def visit_ListComp(self, node) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])


def _parameters(args: ast.arguments) -> set[str]:
    every = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
    return {a.arg for a in every}


def names_read_by(source: str, exclude=()) -> list[str]:
    """Global names a test cell reads before binding them, minus builtins and `exclude`."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    reads = _Reads()
    reads.visit(tree)
    return sorted(reads.read - _BUILTINS - set(exclude))


def modules_imported_by(source: str) -> list[str]:
    """Top-level modules a cell imports (the checker imports them early)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return sorted(found)
