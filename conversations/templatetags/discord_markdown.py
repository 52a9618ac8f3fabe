"""``{{ text|discord_markdown }}``: a message as Discord shows it, for the live view and the
sandbox: bold, italics, strikethrough, code, quotes, lists and masked links, every line break
kept. Raw HTML is never passed through (markdown-it escapes it), only http(s) and mailto
links become links, and they open outside the dashboard without a referrer."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()

_RULES = ["emphasis", "strikethrough", "backticks", "fence", "blockquote", "list", "link", "newline"]
_LINK_SCHEMES = ("http://", "https://", "mailto:")


def _parser() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "breaks": True}).enable(_RULES)
    md.validateLink = lambda url: url.strip().lower().startswith(_LINK_SCHEMES)  # type: ignore[method-assign]

    def link_open(renderer: Any, tokens: Any, index: int, options: Any, env: Any) -> str:
        tokens[index].attrSet("rel", "nofollow noopener noreferrer")
        tokens[index].attrSet("target", "_blank")
        return str(renderer.renderToken(tokens, index, options, env))

    md.add_render_rule("link_open", link_open)
    return md


_MD = _parser()


@register.filter(is_safe=True)
def discord_markdown(text: str | None) -> SafeString:
    return mark_safe(_MD.render(text or ""))  # noqa: S308 (markdown-it escapes the text; html is off)
