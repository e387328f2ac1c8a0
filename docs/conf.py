"""Sphinx configuration: the API reference of mblkit, built from the docstrings.

Every public module (no leading underscore) gets one page, found recursively from ``mblkit``
by autosummary, so a new module is documented without editing these files. A page documents
the objects *defined* in its module; names a package re-exports are documented once, at the
module that defines them (no duplicates). Built by ``make docs`` with warnings as errors.
"""

import mblkit

project = "mblkit"
author = "mblkit developers"
copyright = "2026, mblkit developers"
release = mblkit.__version__
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.napoleon",
              "sphinx.ext.mathjax"]
templates_path = ["_templates"]
exclude_patterns = ["_build"]

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "ignore-module-all": True,
                           "show-inheritance": True, "member-order": "bysource"}
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = True
# The docstrings use ``literal`` and plain prose; a single backquote is literal too.
default_role = "code"
nitpicky = False

html_theme = "alabaster"
html_static_path: list[str] = []


# --- The docstring dialect -------------------------------------------------------------------
#
# mblkit's docstrings are written to be read as plain text (``help()``, an editor): ASCII
# mathematics such as |z_nm|^2, |psi><psi| and h_j, indented equation blocks and tables, with
# ``literals`` and :mod:/:func: roles. Read as reStructuredText, a bar is a substitution and a
# trailing underscore a hyperlink, so before rendering (after napoleon) each docstring is
# escaped: | and a word-final _ become literal characters outside ``literals``, `roles` and
# literal blocks. A docstring that is still not clean reStructuredText after that (a hanging
# indent, an indented display not introduced by ::) is shown verbatim as a literal block
# instead of being rendered wrongly: nothing is lost, and the reference build stays free of
# warnings, so ``-W`` still fails on what matters (a module that does not import, a broken
# directive, a duplicated object). ``fallback_docstrings`` lists them (printed at the end).

import re  # noqa: E402

import docutils.core  # noqa: E402
import docutils.utils  # noqa: E402

_INLINE = re.compile(r"(``.+?``|:[\w:.-]+:`[^`]+`|`[^`]+`_{0,2}|`[^`]+`)")
_TRAILING_UNDERSCORE = re.compile(r"(?<=\w)_(?=\W|$)")
_ROLE = re.compile(r":[\w:.-]+:`([^`]+)`")
# The trial parse runs outside Sphinx: roles become literals, directives comments.
_DIRECTIVE = re.compile(r"^(\s*)\.\. ([\w:-]+)::", re.M)
_IGNORED = ("Unknown interpreted text role", "Unknown directive type",
            'No role entry for', 'No directive entry for', 'Trying "')
fallback_docstrings: list[str] = []


def _escape_text(text: str) -> str:
    parts = _INLINE.split(text)
    for k in range(0, len(parts), 2):  # even parts are outside inline markup
        parts[k] = _TRAILING_UNDERSCORE.sub(r"\\_", parts[k].replace("|", r"\|"))
    return "".join(parts)


def _escape(lines: list[str]) -> list[str]:
    out, literal_indent = [], None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None and line.strip() and indent <= literal_indent:
            literal_indent = None
        if literal_indent is None and not line.lstrip().startswith(">>>"):
            out.append(_escape_text(line))
            if line.rstrip().endswith("::"):
                literal_indent = indent
        else:
            out.append(line)
    return out


def _clean_rst(lines: list[str]) -> bool:
    text = _ROLE.sub(r"``\1``", "\n".join(lines))
    stream = _Messages()
    docutils.core.publish_doctree(_DIRECTIVE.sub(r"\1.. \2", text), settings_overrides={
        "report_level": 2, "halt_level": 5, "warning_stream": stream})
    return not any(not any(s in m for s in _IGNORED) for m in stream.messages)


class _Messages:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def write(self, text: str) -> None:
        if text.strip():
            self.messages.append(text)


def _process_docstring(app, what, name, obj, options, lines):
    escaped = _escape(lines)
    if _clean_rst(escaped):
        lines[:] = escaped
        return
    if what == "module" or name.startswith(getattr(obj, "__module__", None) or "-"):
        fallback_docstrings.append(name)  # defined here, not an import seen in passing
    lines[:] = ["::", ""] + ["    " + line for line in lines] + [""]


def _report(app, exception):
    names = sorted(set(fallback_docstrings))
    if exception is None and names:
        print(f"mblkit docs: {len(names)} docstrings shown verbatim (not clean "
              f"reStructuredText): " + ", ".join(names))


def setup(app):
    app.connect("autodoc-process-docstring", _process_docstring, priority=900)
    app.connect("build-finished", _report)
