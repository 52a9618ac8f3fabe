"""What a language's phrase set holds, and the request templates every language shares."""

from __future__ import annotations

from dataclasses import dataclass

# A person word followed by one of these names a thing, not a person: "admin panel",
# "human error", "human players", "staff seats", "mod role".
_THINGS = (
    r"panels?|dashboard|pages?|roles?|rolle|rights|rechte|perms|permissions?|access|tools?|commands?|"
    r"settings|accounts?|level|errors?|erro|erreur|resources|players?|spieler|jugadores?|jogadores?|"
    r"pemain|joueurs?|verification|seats?|mode|menu|console|bots?|licen[cs]e|keys?|plan|versagen|"
    r"kesalahan|channel|kanal|canal|logs?|badge|rank|status|applications?|form|bereich|npc|skills?|"
    r"abilit(?:y|ies)"
)
# A game mod is not a moderator: "I need a mod for maps", "mods that add cars".
_GAME_MOD = (
    r"(?:for|that|which|packs?|loader|menu|list|files?|folder|installed|compatible|to add|to make|work)\b"
)
# What must follow a person word (a word boundary, and no thing or game mod).
PERSON_END = rf"(?![\w'])(?!\s*-?\s*(?:{_THINGS})\b)(?!(?:(?<=mod)|(?<=mods))\s+{_GAME_MOD})"

# Shared request templates. {A}: optional articles and adjectives; {R}: an article
# (required) then optional adjectives; {PEOPLE}, {ROLES}, {ANYONE} (someone: only after a
# verb of talking), {TALK}, {WANT}, {PLEASE}, {IS_THERE}, {AVAILABLE}, {HELP}.
TEMPLATES = (
    # "talk to a human", "hablar con soporte", "bicara dengan admin", "parler a un humain"
    r"\b(?:{TALK})(?:\s+|(?<='))(?:{A})(?:{PEOPLE}|{ROLES}|{ANYONE})",
    # "I need a real person", "get me an agent", "pasame con un humano", "chama um admin"
    r"\b(?:{WANT})(?:\s+|(?<='))(?:me\s+)?(?:(?:{A})(?:{PEOPLE})|(?:{R})(?:{ROLES}))",
    # "human pls", "a mod please", "humano por favor", "un humain svp"
    r"(?:{A})(?:{PEOPLE})[\s,!.]*(?:{PLEASE})(?![\w'])",
    r"(?:{R})(?:{ROLES})[\s,!.]*(?:{PLEASE})(?![\w'])",
    # "please, a human", "bitte einen echten Menschen"
    r"(?:^|[.!?,]\s*)(?:{PLEASE})[\s,]+(?:{A})(?:{PEOPLE}|{ROLES})\W*$",
    # the whole message names a person: "agent", "representative", "real person?"
    r"^\W*(?:{A})(?:{PEOPLE})\W*$",
    # "any staff online?", "hay algun moderador conectado?", "ist ein Admin da?"
    r"\b(?:{IS_THERE})\s+(?:{A})(?:{PEOPLE}|{ROLES})\s*(?:{AVAILABLE})(?![\w'])",
    r"^\W*(?:{A})(?:{PEOPLE}|{ROLES})\s+(?:{AVAILABLE})\W*$",
    # "help from a real person", "ayuda de un humano", "bantuan dari admin"
    r"\b(?:{HELP})\s+(?:{A})(?:{PEOPLE}|{ROLES})",
    # "@mods", "@support"
    r"@(?:{ROLES}|{PEOPLE})",
)
_NEVER = r"(?!x)x"


@dataclass(frozen=True)
class Phrases:
    """One language's phrase set. Word fields are regular-expression alternations over
    folded text (no accents: see ``escalation.fold``); the last four are lists of whole
    patterns."""

    code: str
    # A person who can help, article optional: a human, an agent, customer service.
    people: str
    # Staff whose bare word also names a permission or a game mod ("can I get admin?"),
    # so asking to be given one needs an article (unless the language has none).
    roles: str
    # Someone, anyone: a person only after a verb of talking ("talk to someone").
    anyone: str
    articles: str
    required_articles: str
    # Talking to ("talk to", "hablar con"), asking for ("I need", "pasame con").
    talk: str
    want: str
    please: str
    # Being around: "is there … online", "hay … conectado".
    is_there: str
    available: str
    # "help from", "ayuda de".
    help_from: str
    # Before a request, these make it no request: "I don't need to talk to anyone",
    # "you should talk to a mod".
    negations: str
    advice: str
    function_words: frozenset[str]
    frustration: tuple[str, ...]
    # Questions about the bot ("are you a human?"): removed before looking for requests.
    curiosity: tuple[str, ...]
    # Support-hours questions: never a request.
    hours: tuple[str, ...]
    # Requests in this language's own word order, with the same placeholders.
    templates: tuple[str, ...] = ()

    def requests(self) -> list[str]:
        """Every request pattern of the language, placeholders filled in."""
        article = rf"(?:(?:{self.articles})(?:\s+|(?<=')))"
        optional = rf"{article}{{0,3}}"
        required = (
            rf"{article}?(?:(?:{self.required_articles})(?:\s+|(?<='))){article}{{0,2}}"
            if self.required_articles
            else optional
        )
        values = {
            "A": optional,
            "R": required,
            "PEOPLE": rf"(?:{self.people}){PERSON_END}",
            "ROLES": rf"(?:{self.roles}){PERSON_END}",
            "ANYONE": rf"(?:{self.anyone})(?![\w'])",
            "TALK": self.talk,
            "WANT": self.want,
            "PLEASE": self.please,
            "IS_THERE": self.is_there,
            # a question about a person is about their being there: "any admin?"
            "AVAILABLE": rf"{self.available}|(?=\s*\?)",
            "HELP": self.help_from or _NEVER,
        }
        return [template.format(**values) for template in (*TEMPLATES, *self.templates)]
