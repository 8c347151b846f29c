r"""An MkDocs hook: formulas and code drawn when the site is built, not in the browser.

``pymdownx.arithmatex`` (generic mode) leaves each formula of the guides and the
docstrings as TeX in ``<span class="arithmatex">\(...\)</span>`` or
``<div class="arithmatex">\[...\]</div>``. This converts each one with
``latex2mathml`` (a docs extra) into MathML, which browsers draw themselves, so a page
loads no script and nothing from another site. The TeX source stays in the MathML as
its annotation. A formula that does not convert, or converts to MathML that is not
well-formed XML, fails the build and names the page and the formula.

Code blocks are coloured by Pygments at build time (``pymdownx.highlight``); the hook
adds Pygments' stylesheet to the site as ``css/pygments.css``.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from typing import Any

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from pygments.formatters import HtmlFormatter

MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
DELIMITERS = {"span": ("\\(", "\\)"), "div": ("\\[", "\\]")}
STYLESHEET = "css/pygments.css"


def on_files(files: Files, config: Any) -> Files:
    """The site's files, with Pygments' stylesheet for the code blocks added."""
    css = HtmlFormatter(style="default").get_style_defs(".highlight")
    files.append(File.generated(config, STYLESHEET, content=css))
    return files


def tex_to_mathml(tex: str, display: bool) -> str:
    """``tex`` as a MathML ``<math>`` element, its source kept as an annotation."""
    mathml = convert(tex, display="block" if display else "inline")
    head, _, body = mathml.partition(">")
    body = body.removesuffix("</math>")
    source = html.escape(tex, quote=False)
    mathml = (
        f"{head}><semantics><mrow>{body}</mrow>"
        f'<annotation encoding="application/x-tex">{source}</annotation>'
        "</semantics></math>"
    )
    ET.fromstring(mathml)  # raises on MathML that a browser could not read
    return mathml


def on_post_page(output: str, page: Any, config: Any) -> str:
    """The page's HTML with every arithmatex formula replaced by its MathML."""

    def render(match: re.Match[str]) -> str:
        tag, text = match.group(1), html.unescape(match.group(2)).strip()
        opening, closing = DELIMITERS[tag]
        if not (text.startswith(opening) and text.endswith(closing)):
            raise PluginError(
                f"{page.file.src_uri}: formula {text!r} is not wrapped in "
                f"{opening} {closing}; expected arithmatex in generic mode"
            )
        tex = text[len(opening) : -len(closing)].strip()
        try:
            mathml = tex_to_mathml(tex, display=tag == "div")
        except Exception as error:  # latex2mathml raises its own and plain errors
            raise PluginError(
                f"{page.file.src_uri}: formula {tex!r} does not convert to MathML "
                f"({type(error).__name__}: {error}); rewrite it in the TeX that "
                "latex2mathml reads"
            ) from error
        return f'<{tag} class="arithmatex">{mathml}</{tag}>'

    return MATH.sub(render, output)
