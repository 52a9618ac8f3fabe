"""The detectors the owner's written rules turn on, each with messages it must catch and
hard negatives it must leave alone (the rule's words used innocently, quoting a rule)."""

from __future__ import annotations

import pytest

from assistant.detectors import compiled_rules, moderate_by_rules
from assistant.providers.base import ModerationRequest

RULES = """Community rules
1. Be respectful: no harassment, insults or threats.
2. No scams or phishing.
3. No buying, selling or trading accounts.
4. No cheating: no hacks, aimbots, exploits or exam answers.
5. Never share personal information (phone numbers, addresses, emails, IPs).
6. Never post API keys, tokens or passwords.
7. Credit artists: no reposting art without credit.
8. No chain letters.
9. No NSFW content, including attachments.
10. No emoji spam.
11. Don't ping @everyone or @here.
12. English only, except in #international.
13. Self-promotion only in #promo.
14. Banned words: touch grass, /\\bsimps?\\b/"""


def flagged(text: str, **kwargs: object) -> str:
    """The detector reason, or "" when the message is fine."""
    verdict = moderate_by_rules(ModerationRequest(text=text, rules=RULES, **kwargs))  # type: ignore[arg-type]
    return verdict.reason if verdict.violation else ""


CAUGHT = [
    ("i will find you and hurt you", "threat"),
    ("kys", "threat"),
    ("you are a pathetic loser", "insult"),
    ("free nitro here: dlscord-nitro.gift/claim", "scam"),
    ("send me 0.5 eth and I'll send back double", "scam"),
    ("selling my main acc, 50$ paypal", "selling"),
    ("wtb gold, 10 bucks per 1k", "selling"),
    ("anyone got an undetected aimbot? dm me", "cheats"),
    ("leaked answers for the physics final, dm me", "exam"),
    ("call me on +44 7700 900 456", "phone"),
    ("he lives at 12 Oak Road", "address"),
    ("my server ip is 81.2.69.160 join up", "IP"),
    ("token: MTE5NzY1NDMyMTAxMjM0NTY3OA.GxYzAb.abcdefghijklmnopqrstuvwxyz012345", "token"),
    ("my password is Summer2024", "password"),
    ("found this on pinterest, not mine", "credit"),
    ("forward this to 10 friends or you'll have bad luck", "chain"),
    ("🔥" * 15, "emoji"),
    ("@everyone look at the event channel", "@everyone"),
    ("alguien quiere jugar esta noche conmigo", "English"),
    ("go touch grass", "banned word"),
    ("such a simp", "pattern"),
    ("commissions open, dm me for prices", "self-promotion"),
]

FINE = [
    "I'm going to kill this boss tonight",
    "that round was trash lol",
    "how do I report a scam DM?",
    "my friend sold his account and regrets it",
    "the anti-cheat banned a guy using an aimbot, good",
    "the answer key is in the textbook, page 230, for practice",
    "my order #88231945 has not arrived",
    "we moved from 2.14.3 to 2.15.0 and it broke",
    "timestamps look like 2024-03-05 14:22:31",
    "where do I put my api_key in the config?",
    "api_key = YOUR_KEY_HERE",
    "we will never ask for your password",
    "art by @mika (credited), isn't it lovely",
    'my aunt sends those "send this to 10 friends" messages, so annoying',
    "🔥🔥 nice",
    "is it ok to use @everyone for the event post?",
    "gracias!",
    "the ratio of sides is 3:4",
    "is self-promotion allowed anywhere?",
    "my shop is closed this month, sorry",
]


@pytest.mark.parametrize(("text", "reason"), CAUGHT)
def test_a_violation_of_a_written_rule_is_caught(text: str, reason: str) -> None:
    assert reason.lower() in flagged(text).lower()


@pytest.mark.parametrize("text", FINE)
def test_a_hard_negative_is_left_alone(text: str) -> None:
    assert flagged(text) == ""


def test_an_nsfw_attachment_is_caught_by_its_name_or_description() -> None:
    assert "NSFW" in flagged("look", attachments=(("IMG_01.png", "nude photo"),))
    assert "NSFW" in flagged("", attachments=(("nsfw_03.jpg", ""),))
    assert flagged("wip", attachments=(("knight_v2.png", "a knight in armor"),)) == ""


def test_a_scoped_rule_holds_outside_its_channel_only() -> None:
    promo = "commissions open, dm me for prices"

    assert flagged(promo, channels=("promo",)) == ""
    assert flagged(promo, channels=("general",)) != ""
    assert flagged("alguien quiere jugar esta noche conmigo", channels=("international",)) == ""


def test_a_rule_named_only_to_permit_it_turns_nothing_on() -> None:
    rules = "Swearing is fine, insults are not."

    compiled = compiled_rules(rules)

    assert compiled.rules[0].checks == ("insults", "threats")


def test_a_rule_no_check_covers_needs_an_ai_provider() -> None:
    compiled = compiled_rules("Welcome!\n1. Keep discussions on topic.\n2. No spam.")

    assert [(r.number, r.kind, r.needs_ai) for r in compiled.rules] == [
        (1, "note", False),
        (2, "rule", True),
        (3, "rule", False),
    ]


def test_the_written_ladder_and_window_are_read() -> None:
    compiled = compiled_rules(
        "No spam.\nFirst a warning, then a 2 hour mute, then a ban. Strikes expire after 60 days."
    )

    assert [step.label() for step in compiled.ladder] == ["warn", "timeout 2 h", "ban"]
    assert compiled.window_days == 60


def test_channel_scopes_are_read_from_names_and_mentions() -> None:
    compiled = compiled_rules("Memes only in <#123456>.\nNo links except in #resources.\nNo spam in #help.")

    scopes = [(set(r.exempt_channels), set(r.only_channels)) for r in compiled.rules]
    assert scopes == [({"123456"}, set()), ({"resources"}, set()), (set(), {"help"})]


def test_a_broken_regex_is_reported_not_raised() -> None:
    rule = compiled_rules("Banned words: /([a-z/").rules[0]

    assert rule.patterns == () and rule.bad_patterns
