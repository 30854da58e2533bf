"""Building HTML that is escaped by construction: text is escaped unless it is already `Html`.

Every value a page shows comes from files a user edits (model descriptions in YAML, file names,
SQL) or from the warehouse, so nothing is pasted into markup as it is: `tag` escapes text
children and attribute values, and only `Html` made by `tag`, `esc` or `join` passes unchanged.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

_VOID = frozenset({"br", "hr", "img", "input", "link", "meta"})


class Html(str):
    """A piece of markup that is safe to insert as it is."""

    __slots__ = ()


def esc(value: object) -> Html:
    """`value` as text in HTML (quotes included, so it is safe in attributes too).

    >>> esc('<b class="x">Tom & Jerry</b>')
    '&lt;b class=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/b&gt;'
    >>> esc(Html("<b>bold</b>"))
    '<b>bold</b>'
    """
    if isinstance(value, Html):
        return value
    return Html(html.escape(str(value), quote=True))


def join(parts: Iterable[object], separator: object = "") -> Html:
    """Pieces of markup (text escaped) one after the other, with `separator` between them;
    None is left out, as in `tag`.

    >>> join(["a<b", None, Html("<i>c</i>")], ", ")
    'a&lt;b, <i>c</i>'
    """
    return Html(esc(separator).join(esc(part) for part in parts if part is not None))


def tag(element: str, /, *children: object, **attributes: object) -> Html:
    """An element: `tag("a", "fct_sales", href="x.html", class_="link")`.

    Args:
        element: the element name (from code, never from data).
        children: text (escaped) or Html; None is left out.
        attributes: `class_` is `class`, other underscores become hyphens (`data_node`); values
            are escaped; None and False leave the attribute out, True writes it bare.

    Returns:
        The element as Html.

    >>> tag("a", "<script>", href='x.html" onclick="y', class_="model")
    '<a href="x.html&quot; onclick=&quot;y" class="model">&lt;script&gt;</a>'
    >>> tag("details", tag("summary", "SQL"), open=True)
    '<details open><summary>SQL</summary></details>'
    """
    rendered = []
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        attribute = key.rstrip("_").replace("_", "-")
        rendered.append(attribute if value is True else f'{attribute}="{esc(value)}"')
    opening = " ".join([element, *rendered])
    if element in _VOID:
        return Html(f"<{opening}>")
    inner = "".join(esc(child) for child in children if child is not None)
    return Html(f"<{opening}>{inner}</{element}>")
