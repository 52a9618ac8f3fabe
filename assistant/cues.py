"""Phrase cues the local engine reads intent from: questions, chatter, asking for a human.

Each cue is a plain regular expression over normalized text (see ``text.normalize``), so
what triggers and what does not can be read here and tested exactly.
"""

from __future__ import annotations

import re

from assistant.providers.base import Turn
from assistant.text import normalize, terms, words

_QUESTION_WORD_START = re.compile(
    r"^\W*(?:what|how|why|when|where|who|which|whom|whose|can|could|does|do|did|is|are|"
    r"should|will|would|has|have|am)\b"
)
_SUPPORT_CUE = re.compile(
    r"\b(?:how (?:do|can|should) (?:i|we|you)|how to|can i|could i|is there|are there|"
    r"help|error|errors|doesn't work|does not work|don't work|not working|isn't working|"
    r"won't (?:work|load|start|open)|broken|crash(?:es|ed|ing)?|fail(?:s|ed|ing)?|issue|"
    r"problem|stuck|anyone know|any idea|wondering|trouble|unable to|can't)\b"
)

# Asking for help without "?" or a question word: "need help with…", "whats the … again",
# "pls how i…", a problem told as a statement ("qr code wont scan", "app keeps crashing").
_HELP_REQUEST = re.compile(
    r"\b(?:need|needs|want|wants|looking for) (?:help|the|a|to know|info)\b|\bagain\b\W*(?:lol|pls|\?)?\W*$"
    r"|\b(?:pls|plz|please) (?:how|what|where|help|tell)\b|\bhow (?:i|u|we)\b"
    r"|\b(?:wont|won't|cant|can't|cannot|doesnt|doesn't|isnt|isn't|keeps|kept|refuses|stopped|empty|"
    r"declined|charged|broke|broken|missing|stuck|lost|left my)\b"
    r"|\b(?:what|whats|what's|which|where|how)\b"
)
# Members talking to each other, not asking the bot: invitations, asking about someone's
# day, "does anyone want to…" — a question mark does not make them support questions.
_SOCIAL = re.compile(
    r"\b(?:anyone|anybody|who(?:'s| is)|everyone) "
    r"(?:want|wanna|up for|coming|going|else|from|here|watching)\b"
    r"|\b(?:how (?:was|is|were) your|how do you like|where (?:are|did) you|how long have you)\b"
    r"|\b(?:what(?:'s| is) everyone|see you|happy birthday|did you see|can you believe|is it just me)\b"
    r"|\b(?:you guys|we meeting|are we)\b"
)

_CHATTER_WORDS = frozenset(
    """
    hi hello hey heya hiya yo sup gm gn morning evening night afternoon good day everyone
    all guys folks y'all thanks thank you thx ty tysm cheers appreciate it lol lmao lmfao
    rofl haha hahaha hehe xd ok okay k kk cool nice great awesome sure yep yeah yes no nope
    np gg wp brb afk welcome bye cya later see ya same true fair wow omg oh ah nice one
    love this much so very the a it's that's is was wild funny mood
    """.split()
)
_LAUGHTER = re.compile(r"\b(?:lol+|lmao+|lmfao|rofl|ha(?:ha)+h?|he(?:he)+|xd+|jk|joke|jokes|meme)\b")

_ARTICLES = r"(?:(?:a|an|some|the|your|real|actual|live)\s+){0,3}"
# Anyone you can talk *to* ("talk to someone", "speak with the team").
_ANYONE = (
    _ARTICLES + r"(?:human|humans|person|agent|someone|somebody|staff|support(?: team)?|moderator|"
    r"mod|admin|representative|rep|operator|team|dev|developer|owner)"
)
# What you can ask to be *given*: only words that mean a person, so "I need someone to
# explain this" or "get people to join" do not page the team.
_A_PERSON = _ARTICLES + r"(?:human|real person|actual person|agent|representative|operator|staff member)"
_HUMAN_REQUEST = re.compile(
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+" + _ANYONE + r"\b"
    r"|\b(?:want|need|get|give|reach|contact|connect me (?:to|with)|transfer me to|"
    r"put me through to|escalate (?:this )?to)\s+(?:me\s+)?" + _A_PERSON + r"\b"
    r"|\bsomeone from (?:the )?(?:support|staff|team)\b"
    r"|\b(?:human|agent|real person|staff)\s*,?\s*please\b"
    r"|\bis (?:there )?(?:a |any )?(?:human|person|agent) (?:around|available|here)\b"
    r"|\b(?:live agent|customer service rep|escalate this)\b"
)
# "I don't want to talk to a human" must not page anyone.
_NEGATED = re.compile(r"\b(?:don't|do not|dont|no need to|never|not)\s+(?:\w+\s+){0,2}$")
_FRUSTRATION = re.compile(
    r"\b(?:this is (?:so )?(?:useless|pointless|ridiculous)|(?:you're|you are|ur) "
    r"(?:not|n't) helping|(?:you're|you are|ur) useless|not helpful|(?:useless|stupid|dumb) bot|"
    r"you don't understand|you do not understand|(?:that|this) (?:didn't|did not|doesn't|does not) "
    r"help|stop (?:repeating|giving me)|same (?:useless )?answer)\b"
)


def has_question_cue(text: str) -> bool:
    """True when ``text`` reads as a question or a request for help."""
    lowered = normalize(text)
    return "?" in lowered or bool(_QUESTION_WORD_START.search(lowered) or _SUPPORT_CUE.search(lowered))


def asks_for_help(text: str) -> bool:
    """True when ``text`` asks for help, with or without "?" or a leading question word
    ("whats the sftp port again", "need help with my invoice", "app keeps crashing lol");
    False for members talking among themselves ("anyone up for a ride at 8?")."""
    lowered = normalize(text)
    if _SOCIAL.search(lowered) and not has_support_cue(text):
        return False
    return has_question_cue(text) or bool(_HELP_REQUEST.search(lowered))


def has_support_cue(text: str) -> bool:
    """True for explicit help wording ("how do I", "error", "doesn't work"), not just a "?"."""
    return bool(_SUPPORT_CUE.search(normalize(text)))


def is_chatter(text: str) -> bool:
    """True for casual talk nobody needs the bot for: greetings, thanks, laughter, banter.

    Jokes and laughter count as chatter even with a question mark ("why did the chicken
    cross the road lol"), unless the message also asks for help in so many words.
    """
    tokens = words(text)
    if not tokens:
        return True  # emoji, stickers, punctuation
    if all(token in _CHATTER_WORDS for token in tokens):
        return True
    lowered = normalize(text)
    if _LAUGHTER.search(lowered) and not has_support_cue(text):
        return True
    # Short banter ("nice one mate", "same here") carries no question to answer.
    return len(tokens) <= 3 and not has_question_cue(text)


def asks_for_human(text: str) -> bool:
    """True when the member asks for a person ("can I talk to a human?").

    Lookalikes stay False: "is this a real person?" asks about the bot, "the person who
    wrote the docs" is not a request, "I don't need to talk to anyone" is negated.
    """
    lowered = normalize(text)
    for match in _HUMAN_REQUEST.finditer(lowered):
        if not _NEGATED.search(lowered[: match.start()]):
            return True
    return False


def sounds_frustrated(text: str) -> bool:
    """True for frustration cues ("this is useless", "you're not helping")."""
    return bool(_FRUSTRATION.search(normalize(text)))


def repeats_earlier_question(text: str, history: list[Turn]) -> bool:
    """True when the member asks again what they already asked and the bot answered.

    Asking the same thing twice means the answer did not help: a person should look.
    """
    asked = terms(text)
    if len(asked) < 2:
        return False
    answered_since = False
    for turn in reversed(history):
        if turn.role != "member":
            answered_since = True
            continue
        if not answered_since:
            continue
        earlier = terms(turn.text)
        if earlier and len(asked & earlier) / len(asked | earlier) >= 0.8:
            return True
    return False
