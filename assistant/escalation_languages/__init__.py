"""The phrase sets escalation intent is read from, one module per language, looked up here.

Each language names its words for a person who can help, its verbs for talking to or
asking for one, its words for please and for being around, its frustration cues, its
look-alikes (questions about the bot, support hours) and its negations; the templates in
``base`` turn these into requests, and a language adds its own where word order differs
(German puts the verb last). All text is folded first (``escalation.fold``): lowercase, no
accents, slang spelled out, so patterns are written without accents.

Adding a language: a module beside these with its ``PHRASES``, a line in ``LANGUAGES``,
its slang in ``SLANG``, its notices in ``TEAM_TOLD`` and ``TEAM_ASKED``, and labelled
messages in ``benchmarks/data/escalation.jsonl``.
"""

from __future__ import annotations

from assistant.escalation_languages import de, en, es, fr, id, pt
from assistant.escalation_languages.base import Phrases

LANGUAGES: tuple[Phrases, ...] = (en.PHRASES, es.PHRASES, pt.PHRASES, id.PHRASES, de.PHRASES, fr.PHRASES)

# Slang and shorthand, spelled out before matching (after accents and repeated letters
# are folded, so "pleaseeee" is already "please" and "hooooman" "homan").
SLANG = {
    **dict.fromkeys(
        ("pls", "plz", "plse", "pleas", "pleez", "pliz", "plox", "plis", "plss", "pl0x"), "please"
    ),
    **dict.fromkeys(("hooman", "hoomans", "homan", "hoomin", "humen", "hooman's", "humn"), "human"),
    "u": "you",
    "ur": "your",
    "r": "are",
    "ppl": "people",
    "wanna": "want to",
    "gimme": "give me",
    "lemme": "let me",
    "im": "i'm",
    "mgr": "manager",
    "pers": "person",
    # es / pt
    **dict.fromkeys(("xfa", "porfa", "porfavor", "porfis", "pfv", "pfvr", "pf", "pfvor"), "por favor"),
    "q": "que",
    "kiero": "quiero",
    "ablar": "hablar",
    "kien": "quien",
    "naum": "nao",
    "vcs": "voce",
    # id
    **dict.fromkeys(
        ("gak", "ga", "nggak", "ngga", "enggak", "engga", "gk", "tdk", "nda", "ndak", "gaada"), "tidak"
    ),
    "sy": "saya",
    "tlg": "tolong",
    "bs": "bisa",
    "bsa": "bisa",
    "dgn": "dengan",
    "yg": "yang",
    "gmn": "gimana",
    # de
    "moechte": "mochte",
    "mensch'n": "menschen",
    "fuer": "fur",
    # fr
    **dict.fromkeys(("svp", "svpl", "svpp", "stp"), "s'il vous plait"),
    "veu": "veux",
    "jveux": "je veux",
    "j'veux": "je veux",
    "qqn": "quelqu'un",
    "qqun": "quelqu'un",
    "qq1": "quelqu'un",
    "quelquun": "quelqu'un",
}

# What the member is told when the team was notified, in the language they wrote in.
TEAM_TOLD = {
    "en": "I've let the team know you'd like to talk to a person; someone will reply here soon.",
    "es": "He avisado al equipo de que quieres hablar con una persona; alguien te responderá aquí pronto.",
    "pt": "Avisei a equipe que você quer falar com uma pessoa; alguém vai responder aqui em breve.",
    "id": "Saya sudah memberi tahu tim bahwa kamu ingin bicara dengan seseorang; "
    "mereka akan segera membalas di sini.",
    "de": "Ich habe dem Team Bescheid gegeben, dass du mit einem Menschen sprechen möchtest; "
    "jemand antwortet dir hier bald.",
    "fr": "J'ai prévenu l'équipe que tu souhaites parler à une personne ; quelqu'un te répondra ici bientôt.",
}

# ...and when the bot could not answer them several times in a row.
TEAM_ASKED = {
    "en": "I couldn't answer that either, so I've asked the team to help; someone will reply here soon.",
    "es": "Tampoco he podido responder a eso, así que he pedido ayuda al equipo; "
    "alguien te responderá aquí pronto.",
    "pt": "Também não consegui responder isso, então pedi ajuda à equipe; "
    "alguém vai responder aqui em breve.",
    "id": "Saya juga belum bisa menjawab itu, jadi saya sudah minta bantuan tim; "
    "mereka akan segera membalas di sini.",
    "de": "Das konnte ich leider auch nicht beantworten, deshalb habe ich das Team um Hilfe gebeten; "
    "jemand antwortet dir hier bald.",
    "fr": "Je n'ai pas pu répondre à cela non plus, j'ai donc demandé de l'aide à l'équipe ; "
    "quelqu'un te répondra ici bientôt.",
}

# ...and, after an "I don't know" where escalation is on, how to reach a person.
OFFER_PERSON = {
    "en": "If you'd like a person to help, just say so (“I'd like to talk to a person”) "
    "and I'll let the team know.",
    "es": "Si prefieres que te ayude una persona, dilo (“quiero hablar con una persona”) "
    "y avisaré al equipo.",
    "pt": "Se preferir a ajuda de uma pessoa, é só dizer (“quero falar com uma pessoa”) e eu aviso a equipe.",
    "id": "Kalau kamu ingin dibantu seseorang, bilang saja (“saya mau bicara dengan admin”) "
    "dan saya akan memberi tahu tim.",
    "de": "Wenn dir lieber ein Mensch helfen soll, sag es einfach (“ich möchte mit einem Menschen "
    "sprechen”), dann sage ich dem Team Bescheid.",
    "fr": "Si tu préfères l'aide d'une personne, dis-le (“je veux parler à un humain”) "
    "et je préviendrai l'équipe.",
}
