"""Proactive posts from the local engine: on topic, from the knowledge, never repeated."""

from __future__ import annotations

from assistant.providers.local import NEAR_DUPLICATE, LocalProvider
from assistant.text import jaccard
from tests.assistant.support import KNOWLEDGE, SHIPPING, rank


async def test_it_builds_a_post_from_the_passages_on_the_topic() -> None:
    post = await LocalProvider().compose_proactive("Shipping", rank("shipping"), [])

    assert post.startswith("**Shipping**: ")
    assert post.removeprefix("**Shipping**: ").split(". ")[0] in SHIPPING.text


async def posts_until_exhausted(topic: str) -> list[str]:
    provider = LocalProvider()
    posts: list[str] = []
    while post := await provider.compose_proactive(topic, KNOWLEDGE, posts):
        posts.append(post)
    return posts


async def test_it_never_posts_a_near_duplicate() -> None:
    posts = await posts_until_exhausted("Shipping")

    assert len(posts) >= 2
    assert all(jaccard(a, b) < NEAR_DUPLICATE for i, a in enumerate(posts) for b in posts[i + 1 :])


async def test_it_never_repeats_a_sentence() -> None:
    bodies = [post.removeprefix("**Refunds**: ") for post in await posts_until_exhausted("Refunds")]
    said = [sentence for body in bodies for sentence in body.split(". ")]

    assert len(said) == len(set(said)) >= 3


async def test_it_keeps_to_passages_that_mention_the_topic() -> None:
    posts = await posts_until_exhausted("Shipping")

    assert all("refund" not in post.lower() and "password" not in post.lower() for post in posts)


async def test_it_skips_content_close_to_an_earlier_post() -> None:
    provider = LocalProvider()
    first = await provider.compose_proactive("Shipping", KNOWLEDGE, [])
    reworded = first.replace("**Shipping**: ", "Reminder! ")

    second = await provider.compose_proactive("Shipping", KNOWLEDGE, [reworded])

    assert jaccard(second, reworded) < NEAR_DUPLICATE


async def test_it_is_deterministic() -> None:
    provider = LocalProvider()

    assert await provider.compose_proactive("Refunds", KNOWLEDGE, []) == await provider.compose_proactive(
        "Refunds", KNOWLEDGE, []
    )


async def test_it_has_nothing_to_say_once_everything_was_posted() -> None:
    posts = await posts_until_exhausted("Shipping")

    assert posts and await LocalProvider().compose_proactive("Shipping", [SHIPPING], posts) == ""


async def test_without_passages_there_is_no_post() -> None:
    assert await LocalProvider().compose_proactive("Shipping", [], []) == ""
