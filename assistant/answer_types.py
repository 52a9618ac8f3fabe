"""What kind of answer a question asks for, and whether a passage holds one.

"How long does a battery swap take?" asks for a duration; "how often are the bikes
serviced?" for a frequency; "what is the fine for riding on the pavement?" for an amount
of money. A passage about battery swaps that gives no duration does not answer the first,
however many of its words it shares: that is the near miss word-level evidence cannot
see, because every word the question names is there. :func:`unsupplied` names the kinds a
question asks for that a passage lacks; :func:`assistant.evidence.knows` declines when
there is one.

English only, and deliberately narrow: a question whose wording matches none of the
patterns asks for nothing in particular (most questions), and the patterns accept any
reasonable form of the answer ("every night", "daily", "€2", "free", "unlimited").
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.text import normalize, stem, words

_NUMBER = (
    r"(?:\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|"
    r"twenty|thirty|forty|fifty|hundred|thousand|dozen|few|several|half|once|twice)\b)"
)
_UNLIMITED = r"\b(?:unlimited|no limit|any number|as many as)\b"
_TIME_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|months?|years?)"
_PERIOD = r"(?:second|minute|hour|day|night|week|weekend|month|year|morning|evening|season)"
_CURRENCY = r"(?:[€$£¥]\s?\d|\d\s?(?:€|eur|euros?|dollars?|usd|gbp|pounds?|cents?)\b)"

# (kind, what asks for it, what supplies it). Checked in order; a question may ask for
# more than one kind ("how much and how often…").
_KINDS: tuple[tuple[str, str, str], ...] = (
    (
        "duration",
        r"\bhow long\b",
        rf"{_NUMBER}[\w\s-]{{0,12}}?\b{_TIME_UNIT}\b|\b(?:km|metres?|meters?|miles?|cm|characters?)\b"
        # Not a bare "up to": "keep up to date" and "up to 2 GB" are no duration ("up to
        # 2 months" is one, by the first alternative).
        r"|\b(?:instantly|immediately|right away|straight away|at once|within|until)\b"
        r"|\bpermanent(?:ly)?\b",
    ),
    (
        "frequency",
        r"\bhow (?:often|frequently)\b",
        rf"\bevery (?:other |{_NUMBER}\w*\s*)?{_PERIOD}s?\b"
        r"|\b(?:hourly|daily|nightly|weekly|fortnightly|monthly|yearly|annually|once|twice|times)\b"
        rf"|\b(?:per|a|each) {_PERIOD}\b|\bcontinuous(?:ly)?\b|\breal[- ]time\b",
    ),
    (
        "money",
        r"\bhow much\b.*\b(?:cost|costs|price|priced|pay|charge|charged|fee|fees|fine)\b"
        r"|\bwhat(?:'s| is| are| does| do| will)?(?: [\w-]+){0,3} "
        r"(?:cost|costs|price|prices|fee|fees|fine|fines)\b"
        r"|\b(?:price|cost) of\b",
        rf"{_CURRENCY}|\bfree\b|\bno (?:charge|cost|fee)\b|\bnothing\b|\bincluded\b|\bsame (?:price|as)\b",
    ),
    ("quantity", r"\bhow many\b", rf"{_NUMBER}|{_UNLIMITED}|\bnothing\b|\bnone\b"),
    # "How much RAM…", "how much is the Cobble plan": a figure, not "three other games".
    ("amount", r"\bhow much\b", rf"\d|{_UNLIMITED}|\bnothing\b|\bfree\b"),
    (
        "measure",
        r"\bhow (?:far|fast|heavy|big|tall|old|high|quick|quickly|soon)\b|\btop speed\b"
        r"|\b(?:maximum|minimum|max|min) (?:weight|speed|age|size)\b",
        rf"{_NUMBER}|{_UNLIMITED}|\b(?:instantly|immediately|right away|straight away|at once|within)\b",
    ),
)
_ASKS = tuple((kind, re.compile(asks)) for kind, asks, _ in _KINDS)
_SUPPLIES = {kind: re.compile(supplies) for kind, _, supplies in _KINDS}


@lru_cache(maxsize=4096)
def asked_for(question: str) -> tuple[str, ...]:
    """The kinds of answer the question asks for (often none)."""
    text = normalize(question)
    kinds = [kind for kind, pattern in _ASKS if pattern.search(text)]
    # "How much does it cost" asks for money, which a bare number does not give.
    if "money" in kinds and "amount" in kinds:
        kinds.remove("amount")
    return tuple(kinds)


def unsupplied(question: str, text: str) -> tuple[str, ...]:
    """The kinds of answer the question asks for that ``text`` holds none of."""
    kinds = asked_for(question)
    if not kinds:
        return ()
    folded = normalize(text)
    return tuple(
        kind
        for kind in kinds
        if not _SUPPLIES[kind].search(folded) or (kind == "quantity" and uncounted(question, folded))
    )


# "How many cargo bikes…", "how many extra ports…": the thing counted.
_COUNTED = re.compile(r"\bhow many (?:more |extra |additional |other )?([a-z][a-z-]+)")
# How many words either side of the thing counted its count may stand.
COUNT_WINDOW = 4
_COUNT = re.compile(rf"{_NUMBER}|{_UNLIMITED}|\bnone\b")


def uncounted(question: str, text: str) -> bool:
    """Whether ``text`` mentions the thing "how many…" counts but never with a number near
    it: "a small fleet of cargo bikes" beside "1,500 classic bikes" does not say how many
    cargo bikes there are. A passage that never names the thing (a paraphrase's) is left
    to the other evidence."""
    asked = _COUNTED.search(normalize(question))
    if asked is None:
        return False
    counted = stem(asked.group(1))
    found = words(text)
    mentions = [i for i, w in enumerate(found) if stem(w) == counted]
    if not mentions:
        return False
    return not any(
        _COUNT.search(" ".join(found[max(0, i - COUNT_WINDOW) : i + COUNT_WINDOW + 1])) for i in mentions
    )
