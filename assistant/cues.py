"""Phrase cues the local engine reads intent from: questions and chatter (asking for a
person is ``assistant.escalation``).

Each cue is a plain regular expression over normalized text (see ``text.normalize``), so
what triggers and what does not can be read here and tested exactly.
"""

from __future__ import annotations

import re

from assistant.text import normalize, words

_QUESTION_WORD_START = re.compile(
    r"^\W*(?:what|how|why|when|where|who|which|whom|whose|can|could|does|do|did|is|are|"
    r"should|will|would|has|have|am)\b"
)
_SUPPORT_CUE = re.compile(
    r"\b(?:how (?:do|can|should) (?:i|we|you)(?! (?:guys |all )?(?:like|feel|think|enjoy)\b)"
    r"|how to|can i|could i|"
    r"is there|are there|"
    r"help|error|errors|doesn't work|does not work|don't work|not working|isn't working|"
    r"won't (?:work|load|start|open)|broken|crash(?:es|ed|ing)?|fail(?:s|ed|ing)?|issue|"
    r"problem|stuck|anyone know|any idea|wondering|trouble|unable to|can't)\b"
)

# Asking for help without "?" or a question word: "need help with…", "whats the … again",
# "pls how i…", a problem told as a statement ("qr code wont scan", "app keeps crashing").
_HELP_REQUEST = re.compile(
    r"\b(?:need|needs|want|wants|looking for) (?:help|the|a|an|another|more|to know|info)\b"
    r"|\bagain\b\W*(?:lol|pls|\?)?\W*$"
    r"|\b(?:pls|plz|please) (?:how|what|where|help|tell)\b|\bhow (?:i|u|we)\b"
    r"|\b(?:wont|won't|cant|can't|cannot|doesnt|doesn't|isnt|isn't|keeps|kept|refuses|stopped|empty|"
    r"didnt|didn't|hasnt|hasn't|declined|charged|broke|broken|missing|stuck|lost|left my|suspended|"
    r"lagging|laggy|frozen|offline|wiped)\b"
    r"|\b(?:what|whats|what's|which|where|how)\b"
    # Asked at the end: "… near the ring road, why", "Monthly price please", "any tips for…".
    r"|\bwhy\W*$|\b(?:pls|plz|please)\W*$|\bany (?:tips|advice|way)\b|\btips (?:for|on)\b"
)
# Members talking to each other, not asking the bot: invitations, asking about someone's
# day, "does anyone want to…" — a question mark does not make them support questions.
_SOCIAL = re.compile(
    r"\b(?:anyone|anybody|who(?:'s| is)?|everyone) "
    r"(?:wants?|wanna|up for|coming|going|else|from|here|watching|got|has)\b"
    r"|\b(?:how (?:was|is|were) your|how do you (?:guys |all )?like|where (?:are|did) you|"
    r"how long have you)\b"
    r"|\bdo you (?:guys )?(?:use|play|prefer)\b\W*$"
    r"|\b(?:what(?:'s| is) everyone|see you|happy birthday|did you see|can you believe|is it just me)\b"
    r"|\b(?:you guys|we meeting|are we)\b"
    r"|\b(?:can|could) (?:someone|somebody|anyone|anybody) (?:send|share|post|bring|lend|give|trade|sell)\b"
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
        # A question with a laugh after it ("what's the range on the ebikes lol") is
        # still a question: whether the knowledge base answers it decides. A joke
        # ("why did the chicken cross the road lol") is not one it answers.
        rest = _LAUGHTER.sub(" ", lowered)
        return not (_QUESTION_WORD_START.search(rest) or _HELP_REQUEST.search(rest))
    # Short banter ("nice one mate", "same here") carries no question to answer.
    return len(tokens) <= 3 and not has_question_cue(text)
