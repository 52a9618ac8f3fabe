"""Escalation intent in every language we have phrases for: requests, frustration, the
repeated-failure loop, and the look-alikes that must stay quiet."""

from __future__ import annotations

import pytest

from assistant import escalation
from assistant.escalation import Reason
from assistant.escalation_languages import TEAM_ASKED, TEAM_TOLD


@pytest.mark.parametrize(
    "text",
    [
        # en, with slang and stretched letters
        "human pls",
        "hooman plzzz",
        "AGENT",
        "speak to a manager",
        "any staff online?",
        "can a mod dm me? it's about my ban",
        "pleaseeee let me talk to a real person",
        "yo can i chat w/ an admin",
        "@mods",
        # es
        "humano por favor",
        "kiero ablar con una persona xfa",
        "¿hay algún moderador conectado?",
        "pásame con un agente",
        # pt
        "falar com atendente",
        "me passa pra um humano pfv",
        "tem alguém da equipe aí?",
        # id
        "bicara dengan admin",
        "tolong sambungkan ke CS",
        "ada admin online gak?",
        # de
        "mit einem Menschen sprechen",
        "kann ich mit einem Mitarbeiter reden?",
        "ist gerade ein Admin da?",
        "bitte einen Admin holen",
        # fr
        "parler à un humain",
        "un conseiller svp",
        "il y a un modo en ligne ?",
        "j'ai besoin d'un humain",
    ],
)
def test_it_hears_a_request_for_a_person(text: str) -> None:
    assert escalation.asks_for_human(text) is True


@pytest.mark.parametrize(
    "text",
    [
        "this bot is useless",
        "you keep giving me the same answer",
        "this is the third time I'm asking",
        "este bot es inútil",
        "vc não está ajudando",
        "bot ini gak berguna",
        "du hilfst mir nicht",
        "ça sert à rien",
    ],
)
def test_it_hears_frustration(text: str) -> None:
    assert escalation.sounds_frustrated(text) is True


@pytest.mark.parametrize(
    "text",
    [
        # curiosity about the bot
        "are you a human?",
        "r u a bot or a real person lol",
        "¿eres humano?",
        "kamu manusia atau bot?",
        "bist du ein Mensch?",
        # a thing named after a person
        "was that human error?",
        "where is the admin panel?",
        "das war menschliches Versagen",
        "où est le panneau d'administration ?",
        "how do I give someone the moderator role?",
        "I need a mod for more inventory slots",
        # someone else's person
        "my manager said we should upgrade to Pro",
        "mi jefe dijo que compráramos el plan Pro",
        # support hours
        "what are your support hours?",
        "is support available on weekends?",
        "qual o horário de atendimento?",
        "wann ist der Support erreichbar?",
        # thanks for past help, and talk about people
        "thanks for the help yesterday, the agent sorted it out!",
        "merci pour l'aide d'hier !",
        "who is the server owner?",
        # players, advice, negation
        "we only want human players in the tournament",
        "solo queremos jugadores humanos",
        "you should talk to a mod about that, not me",
        "no need for a human, the bot answered it",
        "I don't need to talk to anyone",
        "não precisa chamar ninguém, já resolvi",
        "ich muss nicht mit einem Menschen sprechen",
        "pas besoin de parler à un humain",
        "gak perlu admin, udah beres",
    ],
)
def test_lookalikes_do_not_escalate(text: str) -> None:
    assert escalation.wants_human(text, []) is False


def test_fold_spells_out_accents_stretched_letters_and_slang() -> None:
    assert escalation.fold("Pleaseeee HOOMAN plz, ¿Está?") == "please human please, ¿esta?"
    assert escalation.fold("falar c/ atendente") == "falar com atendente"


@pytest.mark.parametrize(
    ("earlier", "failed_now", "escalates"), [(2, True, True), (1, True, False), (2, False, False)]
)
def test_the_third_i_dont_know_in_a_row_escalates(earlier: int, failed_now: bool, escalates: bool) -> None:
    assert escalation.failure_loop(earlier, failed_now=failed_now, limit=3) is escalates


def test_a_limit_of_zero_never_escalates_on_failures() -> None:
    assert escalation.failure_loop(10, failed_now=True, limit=0) is False


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("can I talk to a human?", "en"),
        ("quiero hablar con una persona", "es"),
        ("quero falar com um atendente", "pt"),
        ("saya mau bicara dengan admin", "id"),
        ("ich möchte mit einem Menschen sprechen", "de"),
        ("je veux parler à un humain", "fr"),
        ("", "en"),
    ],
)
def test_the_member_is_told_in_their_language(text: str, language: str) -> None:
    assert escalation.team_told(text) == TEAM_TOLD[language]


def test_after_failed_answers_the_member_is_told_the_team_was_asked_to_help() -> None:
    assert escalation.team_told("¿y con PayPal?", Reason.UNANSWERED) == TEAM_ASKED["es"]
