"""Every name the README mentions exists, and the calls it shows use the real parameter names.

Four checks on README.md, each over names pulled from the text (not listed here):

* every dotted ``mblkit.a.b`` name imports (a module) or resolves (an attribute);
* every ``from mblkit.x import a, b`` in its code blocks resolves (without running the block;
  ``test_readme.py`` runs them, as slow tests);
* every `name` in the contents column of the module table is an attribute or submodule of that
  row's module (or, written ``sub.name``, of ``mblkit``);
* every call written `f(a, b=1)` whose ``f`` is an mblkit function, class or method (a
  dotted ``mblkit.`` name, or a bare name found by walking the public modules) names only
  parameters ``f`` has, a positional placeholder naming the parameter in its place
  (``track_levels(model, realisation, site, lambdas)``, not ``j``).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

README = (Path(__file__).parent.parent / "README.md").read_text()
CODE = "\n".join(re.findall(r"```python\n(.*?)```", README, re.S))
PROSE = re.sub(r"```.*?```", "", README, flags=re.S)
SPANS = [" ".join(s.split()) for s in re.findall(r"`([^`]+)`", PROSE)]


def resolve(dotted: str, base: str = "mblkit"):
    """The object named ``dotted`` below the module ``base``, importing submodules as needed;
    raises LookupError naming the first part that does not exist."""
    obj = importlib.import_module(base)
    path = base
    for part in dotted.split("."):
        path = f"{path}.{part}"
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name != path:
                raise
            raise LookupError(f"{path} does not exist") from None
    return obj


def _unique(items):
    return sorted(set(items))


DOTTED = _unique(m.group(0) for m in re.finditer(r"\bmblkit(?:\.[A-Za-z_]\w*)+", README))


# Entry-point group names that the README cites are names, not modules: they must be the
# groups the code reads, nothing else.
def _entry_point_groups() -> set[str]:
    from mblkit.campaign.registry import KIND_GROUP
    from mblkit.models.protocol import MODEL_GROUP, OBSERVABLE_GROUP

    return {KIND_GROUP, MODEL_GROUP, OBSERVABLE_GROUP}


@pytest.mark.parametrize("name", DOTTED)
def test_dotted_name_exists(name):
    if name in _entry_point_groups() and re.search(rf"group\s+`{re.escape(name)}`", README):
        return  # cited as the entry-point group it is
    resolve(name.removeprefix("mblkit."))


IMPORTS = _unique(
    (module, item.strip().split(" as ")[0])
    for module, items in re.findall(r"from (mblkit[\w.]*) import \(?([\w\s,]+?)\)?\n", CODE)
    for item in items.split(",") if item.strip())


def test_readme_has_names():
    """The parsers above found something (a README rewrite must not make this test vacuous)."""
    assert len(DOTTED) > 20 and len(IMPORTS) > 10 and len(TABLE) > 40 and len(CALLS) > 10


@pytest.mark.parametrize(("module", "name"), IMPORTS)
def test_code_import_exists(module, name):
    assert hasattr(importlib.import_module(module), name) or resolve(
        f"{module}.{name}".removeprefix("mblkit."))


def _table_rows():
    rows = re.findall(r"^\| `(mblkit(?:\.\w+)*)` \| (.+) \|$", README, re.M)
    for module, contents in rows:
        for span in re.findall(r"`([^`]+)`", contents):
            name = span.split("(")[0].strip()
            if re.fullmatch(r"[A-Za-z_][\w.]*", name):
                yield module, name


TABLE = _unique(_table_rows())


@pytest.mark.parametrize(("module", "name"), TABLE)
def test_module_table_name_exists(module, name):
    if name.startswith("mblkit."):
        resolve(name.removeprefix("mblkit."))
        return
    try:
        resolve(name, module)
    except LookupError:
        resolve(name)  # written relative to mblkit, e.g. `solvers.unitary.eigu`


@functools.cache
def _index() -> dict[str, list]:
    """Bare name -> every public mblkit function, class or method of that name, from a walk
    over the public modules (a README call names a function by its bare name)."""
    import mblkit

    index: dict[str, list] = {}
    for info in pkgutil.walk_packages(mblkit.__path__, "mblkit."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                index.setdefault(name, []).append(obj)
            if inspect.isclass(obj):
                for meth, func in vars(obj).items():
                    if inspect.isfunction(func) and not meth.startswith("_"):
                        index.setdefault(meth, []).append(func)
    return index


def _calls():
    for span in SPANS:
        m = re.fullmatch(r"([A-Za-z_][\w.]*)\((.*)\)", span)
        if not m or "(" in m.group(2):
            continue
        func, args = m.groups()
        parts = tuple(a.strip() for a in args.split(",") if a.strip())
        if parts:
            yield func, parts


def _accepts(func, args: tuple[str, ...]) -> str | None:
    """None if ``func(*args)`` names only its parameters (a positional placeholder must be the
    name of the parameter in its place); otherwise what is wrong."""
    params = [p for p in inspect.signature(func).parameters.values() if p.name != "self"]
    names = [p.name for p in params]
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                       p.POSITIONAL_OR_KEYWORD)]
    varkw = any(p.kind is p.VAR_KEYWORD for p in params)
    k = 0
    for arg in args:
        keyword = re.fullmatch(r"([A-Za-z_]\w*)\s*=.*", arg)
        if keyword:
            if keyword.group(1) not in names and not varkw:
                return f"no parameter {keyword.group(1)!r}"
            continue
        if re.fullmatch(r"[A-Za-z_]\w*", arg) and k < len(positional) and arg != positional[k]:
            return f"argument {k} is {positional[k]!r}, not {arg!r}"
        k += 1
    return None


CALLS = _unique(_calls())


@pytest.mark.parametrize(("func", "args"), CALLS)
def test_call_uses_real_parameters(func, args):
    if func.startswith("mblkit."):
        candidates = [resolve(func.removeprefix("mblkit."))]
    else:
        candidates = [c for c in _index().get(func.split(".")[-1], []) if callable(c)]
    if not candidates:
        pytest.skip(f"{func} is not mblkit's")
    problems = [_accepts(c, args) for c in candidates]
    assert None in problems, (f"README shows {func}({', '.join(args)}): "
                              + "; ".join(f"{c.__module__}.{c.__qualname__}: {p}, parameters "
                                          f"{list(inspect.signature(c).parameters)}"
                                          for c, p in zip(candidates, problems, strict=True)))

