"""The owner's rules text compiled into checks: pure, no I/O, cached by text.

Each statement of the rules (a line, or a sentence within a line) becomes a ``Rule``: the
detectors that enforce it, the owner's own banned words and regular expressions, the
channels it is scoped to, an action the owner fixed for it, and whether anything local
covers it at all (a statement nothing covers "needs an AI provider"). The punishment line
("first a warning, then a 1-hour timeout, then a kick") becomes the ``ladder``, and its
window ("offences count for 30 days") the ``window_days``.

What is read, as owners write it:
- topics, clause by clause: "swearing is fine, insults are not" turns on insults only;
- channel scopes: "self-promotion only in #promo", "English only, except in #international",
  "No NSFW outside #nsfw-art" (the rule does not apply there), "No memes in #help" (only
  there); channels are written as #name or as Discord's <#id> mention;
- lists: "Banned words: kys, "touch grass", /\\bsimps?\\b/" (phrases, quoted phrases and
  /regexes/, also /regexes/ anywhere in a rule);
- a per-rule action: "No slurs (instant ban)", "Scams → ban";
- allowed domains in a permissive clause: "links to docs.example.com are welcome".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.text import normalize

LADDER_ACTIONS = ("delete", "warn", "timeout", "kick", "ban")
MAX_REGEX_CHARS = 200
DEFAULT_TIMEOUT_SECONDS = 60 * 60


@dataclass(frozen=True)
class Step:
    """One rung of the owner's ladder; ``seconds`` only for a timeout."""

    action: str
    seconds: int = 0

    def label(self) -> str:
        return f"timeout {duration_label(self.seconds)}" if self.action == "timeout" else self.action


@dataclass(frozen=True)
class Rule:
    number: int  # the line of the rules text, from 1
    text: str  # the owner's words (one statement)
    checks: tuple[str, ...] = ()  # detector names
    words: tuple[str, ...] = ()  # banned words and phrases, normalized
    patterns: tuple[re.Pattern[str], ...] = ()
    bad_patterns: tuple[str, ...] = ()  # /regexes/ that did not compile
    exempt_channels: frozenset[str] = frozenset()  # names (no '#') or ids
    only_channels: frozenset[str] = frozenset()
    action: str = ""  # an action the owner fixed for this rule
    kind: str = "rule"  # rule | ladder | note

    @property
    def enforced_locally(self) -> bool:
        return bool(self.checks or self.words or self.patterns)

    @property
    def needs_ai(self) -> bool:
        return self.kind == "rule" and not self.enforced_locally

    def applies_in(self, channels: frozenset[str]) -> bool:
        """Does the rule hold in a channel known by these names and ids?"""
        if self.only_channels and not self.only_channels & channels:
            return False
        return not self.exempt_channels & channels


@dataclass(frozen=True)
class CompiledRules:
    rules: tuple[Rule, ...] = ()
    ladder: tuple[Step, ...] = ()
    window_days: int | None = None
    allowed_domains: frozenset[str] = frozenset()
    # Detectors a permissive clause turned off ("swearing is fine").
    permitted: frozenset[str] = field(default_factory=frozenset)

    def enforced(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.kind == "rule")

    def needs_ai(self) -> bool:
        return any(rule.needs_ai for rule in self.rules)

    def line_of(self, text: str) -> int:
        """The line number of the statement ``text`` (0 when it is none of them)."""
        for rule in self.rules:
            if rule.text == text:
                return rule.number
        return 0


# --- reading the text ----------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*•·>]|\d{1,2}[.)]|\(\d{1,2}\)|[a-z][.)])\s*")
# Between sentences, but not after a list number ("2. No ads" is one rule).
_SENTENCE = re.compile(r"(?<=[^\d\s][.!;])\s+")
_CLAUSE = re.compile(r"[,;:()]|\s+but\s+|\s+-\s+|\s+\u2013\s+")
_PERMISSIVE = re.compile(
    r"\b(?:is|are|s)\s+(?:\w+\s+)?(?:allowed|fine|ok|okay|permitted|welcome|encouraged|cool)\b"
    r"|\b(?:feel free|you may|you can)\b"
)
_NEGATION = re.compile(r"\b(?:not|never|no|nothing)\b|n't\b")
_DIRECTIVE = re.compile(
    r"\b(?:no|not|never|don'?t|do not|only|keep|must|avoid|be|always|respect|stop|refrain|without|"
    r"forbidden|prohibited|banned|allowed|except|outside|use|post|credit|follow|listen)\b|n't\b"
)
_CHANNEL_REF = r"(?:#([\w-]+)|<#(\d+)>)"
_HEADING = re.compile(r"\b(?:rules?|guidelines|welcome|read (?:this|these|before))\b")
_ONLY_IN = re.compile(
    rf"\bonly (?:in|on|to|within) {_CHANNEL_REF}|\b(?:goes?|belongs?) (?:in|to) {_CHANNEL_REF}"
    rf"|{_CHANNEL_REF} only\b|\bkeep [\w\s'-]{{1,40}}? (?:in|to) {_CHANNEL_REF}"
    rf"|\b(?:use|in) {_CHANNEL_REF} for\b"
)
_EXCEPT_IN = re.compile(
    rf"\b(?:except|but not|other than|outside(?: of)?|apart from|besides)(?: (?:in|on))? {_CHANNEL_REF}"
)
_CHANNEL = re.compile(_CHANNEL_REF)
_LIST = re.compile(
    r"\b(?:banned|forbidden|blocked|blacklisted|prohibited|disallowed|no)\s+(?:words?|phrases?|terms?)"
    r"(?:\s+(?:and|or|&)\s+(?:words?|phrases?|terms?))?\s*(?:include|are|is)?\s*[:=-]\s*(.+)$",
    re.IGNORECASE,
)
_SAY_LIST = re.compile(r"\b(?:don'?t|do not|never) (?:say|use the words?|write)\s*[:]\s*(.+)$", re.IGNORECASE)
_REGEX = re.compile(r"(?<![\w/:])/((?:\\.|[^/\\\s]|\s(?!/))+?)/([imsx]*)(?![\w/])")
_ITEM_SPLIT = re.compile(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)|;|\s+or\s+|\s+and\s+")
_DOMAIN = re.compile(r"\b((?:[a-z0-9-]+\.)+[a-z]{2,})\b")
_FIXED_ACTION = re.compile(
    r"(?:\binstant(?:ly)?|\bimmediate(?:ly)?|\bautomatic|→|->|=>|=|\bresults? in an?|\bmeans an?|\bget you|"
    r"\bwill be|\bgets? you|\bgets?|\bare)\s*(?:an?\s+)?"
    r"(ban|banned|kick|kicked|removed|timeout|timed out|mute|muted|warning|warned)"
)
_ACTION_WORD = re.compile(
    r"\b(warn(?:ings?|ed|s)?|strikes?|time ?out|timed out|mute[ds]?|kick(?:ed|s)?|ban(?:ned|s)?|"
    r"delet(?:e|ed|ion)|remov(?:e|ed|al))\b"
)
_DURATION = re.compile(
    r"\b(\d+|an?|one|two|three|six|twelve|twenty-four)[\s-]*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|"
    r"d|days?|w|weeks?)\b"
)
_LADDER_CUE = re.compile(
    r"\b(?:first|then|after|next|second|third|strikes?|offen[cs]es?|punishments?|consequences?|penalt\w*|"
    r"moderation|escalat\w*|ladder|repeat\w*)\b|→|->|>|=|\b\d+ (?:warn\w*|strikes?)"
)
_WINDOW = re.compile(
    r"\b(?:within|in|for|over|during|after)\s+(?:the\s+last\s+|a\s+|an\s+)?(\d+|one|two|three|six|twelve)?\s*"
    r"(days?|weeks?|months?|years?)\b"
)
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "six": 6, "twelve": 12, "twenty-four": 24}


def duration_label(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBERS.get(word, 1)


def _seconds(amount: str, unit: str) -> int:
    size = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit[0]]
    return max(1, _number(amount)) * size


def statements(rules: str) -> list[tuple[int, str]]:
    """(line number, statement) for each statement of the rules: lines, and sentences within
    a line; list markers kept, as the owner wrote them."""
    found: list[tuple[int, str]] = []
    for number, line in enumerate(rules.splitlines(), start=1):
        for part in _SENTENCE.split(line.strip()):
            if part.strip():
                found.append((number, part.strip()))
    return found


def _channels(pattern: re.Pattern[str], text: str) -> frozenset[str]:
    names: set[str] = set()
    for match in pattern.finditer(text):
        groups = [g for g in match.groups() if g]
        for group in groups:
            names.add(group.lower())
    return frozenset(names)


_QUOTES = "\"'.\u201c\u201d\u2018\u2019"


def _list_items(text: str) -> tuple[list[str], list[str]]:
    """Phrases and /regexes/ of a banned-words list."""
    phrases: list[str] = []
    regexes = [match.group(0) for match in _REGEX.finditer(text)]
    rest = _REGEX.sub(" ", text)
    for item in _ITEM_SPLIT.split(rest):
        word = normalize(item.strip().strip(_QUOTES).strip())
        if word and len(word) <= 60:
            phrases.append(word)
    return phrases, regexes


def _compile_regex(written: str) -> re.Pattern[str] | None:
    match = _REGEX.fullmatch(written.strip())
    if not match or len(match.group(1)) > MAX_REGEX_CHARS:
        return None
    flags = re.IGNORECASE
    for letter in match.group(2):
        flags |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}[letter]
    try:
        return re.compile(match.group(1), flags)
    except re.error:
        return None


def _ladder(text: str) -> tuple[tuple[Step, ...], int | None] | None:
    """The owner's ladder and window in a punishment statement, or None when it is not one."""
    lowered = normalize(text)
    words = list(_ACTION_WORD.finditer(lowered))
    kinds = {_action_of(w.group(1)) for w in words} - {"delete"}
    if len(kinds) < 2 or not _LADDER_CUE.search(lowered):
        return None
    steps: list[Step] = []
    for index, word in enumerate(words):
        action = _action_of(word.group(1))
        if action in ("delete", "strike"):
            continue
        seconds = 0
        if action == "timeout":
            end = words[index + 1].start() if index + 1 < len(words) else len(lowered)
            start = words[index - 1].end() if index else 0
            near = _DURATION.search(lowered[start:end])
            seconds = _seconds(near.group(1), near.group(2)) if near else DEFAULT_TIMEOUT_SECONDS
            seconds = min(seconds, 28 * 86400)  # Discord's longest timeout
        before = lowered[max(0, word.start() - 4) : word.start()]
        count = re.search(r"(\d+)\s*$", before)
        times = min(int(count.group(1)), 5) if count and action == "warn" else 1
        if not steps or steps[-1].action != action or action == "timeout" or times > 1:
            steps.extend([Step(action, seconds)] * times)
    window = None
    found = _WINDOW.search(lowered)
    if found and found.group(1):
        days = {"d": 1, "w": 7, "m": 30, "y": 365}[found.group(2)[0]]
        window = _number(found.group(1)) * days
    return tuple(steps), window


def _action_of(word: str) -> str:
    word = word.replace(" ", "")
    for prefix, action in (
        ("warn", "warn"),
        ("strike", "strike"),
        ("timeout", "timeout"),
        ("timedout", "timeout"),
        ("mute", "timeout"),
        ("kick", "kick"),
        ("remov", "kick"),
        ("ban", "ban"),
        ("delet", "delete"),
    ):
        if word.startswith(prefix):
            return action
    return "delete"


def _fixed_action(text: str) -> str:
    found = _FIXED_ACTION.search(normalize(text))
    if not found:
        return ""
    action = _action_of(found.group(1))
    return "" if action == "strike" else action


def _topics(clause: str, topics: dict[str, re.Pattern[str]]) -> set[str]:
    return {name for name, topic in topics.items() if topic.search(clause)}


def compile_rules(rules: str, topics: dict[str, re.Pattern[str]]) -> CompiledRules:
    """``rules`` read into checks. ``topics`` maps each detector to the words that ask for it
    (``assistant.detectors.compiled_rules`` passes its registry's, and caches)."""
    compiled: list[Rule] = []
    ladder: tuple[Step, ...] = ()
    window: int | None = None
    allowed: set[str] = set()
    permitted: set[str] = set()
    lines = rules.splitlines()
    ladder_line = 0
    for number, text in statements(rules):
        body = _BULLET.sub("", text)
        lowered = normalize(body)
        if number == ladder_line:
            compiled.append(Rule(number, text, kind="ladder"))
            continue
        # A ladder may take a line of several sentences ("3 warnings = kick. Repeat = ban.").
        found = None if ladder else _ladder(_BULLET.sub("", lines[number - 1]))
        if found is not None and (_ladder(body) is not None or _ACTION_WORD.search(lowered)):
            ladder, window = found
            ladder_line = number
            compiled.append(Rule(number, text, kind="ladder"))
            continue
        checks: set[str] = set()
        plain = _CHANNEL.sub(" ", lowered)
        for clause in _CLAUSE.split(lowered):
            if not clause.strip():
                continue
            # Channel mentions are not topic words ("#self-promo" names a channel).
            named = _topics(_CHANNEL.sub(" ", clause), topics)
            if _PERMISSIVE.search(clause) and not _NEGATION.search(clause):
                if not _CHANNEL.search(clause):  # "ads are fine in #promo" is a scope, not a permit
                    permitted |= named
                allowed |= set(_DOMAIN.findall(clause))
                continue
            checks |= named
        if _HEADING.search(lowered) and not _DIRECTIVE.search(lowered) and len(lowered.split()) <= 8:
            checks = set()  # "Crypto Cafe: House Rules" names topics, forbids nothing
        if _PERMISSIVE.search(plain) and not _NEGATION.search(plain):
            allowed |= set(_DOMAIN.findall(plain))
        phrases: list[str] = []
        regexes = [m.group(0) for m in _REGEX.finditer(body)]
        listed = _LIST.search(body) or _SAY_LIST.search(body)
        if listed:
            phrases, regexes = _list_items(listed.group(1))
            checks = set()
        patterns = [p for p in (_compile_regex(r) for r in regexes) if p is not None]
        bad = tuple(r for r in regexes if _compile_regex(r) is None)
        directive = bool(_DIRECTIVE.search(lowered))
        kind = "rule" if checks or phrases or patterns or directive else "note"
        compiled.append(
            Rule(
                number=number,
                text=text,
                checks=tuple(sorted(checks)),
                words=tuple(dict.fromkeys(phrases)),
                patterns=tuple(patterns),
                bad_patterns=bad,
                exempt_channels=_channels(_ONLY_IN, lowered) | _channels(_EXCEPT_IN, lowered),
                only_channels=_only_channels(lowered),
                action=_fixed_action(body) if kind == "rule" else "",
                kind=kind,
            )
        )
    if ladder and window is None:
        window = _window_anywhere(rules)
    return CompiledRules(
        rules=tuple(compiled),
        ladder=ladder,
        window_days=window,
        allowed_domains=frozenset(allowed),
        permitted=frozenset(permitted),
    )


_WINDOW_CUE = re.compile(r"\b(?:offen[cs]es?|strikes?|warnings?|infractions?|count|reset|expire)\w*")


def _window_anywhere(rules: str) -> int | None:
    """ "Offences count for 30 days" written in a statement of its own."""
    for _, text in statements(rules):
        lowered = normalize(text)
        found = _WINDOW.search(lowered)
        if found and found.group(1) and _WINDOW_CUE.search(lowered):
            return _number(found.group(1)) * {"d": 1, "w": 7, "m": 30, "y": 365}[found.group(2)[0]]
    return None


def _only_channels(lowered: str) -> frozenset[str]:
    """ "No memes in #help": channels named after a plain "in", with no "only"/"except" cue."""
    if _ONLY_IN.search(lowered) or _EXCEPT_IN.search(lowered):
        return frozenset()
    return _channels(re.compile(rf"\b(?:in|on) {_CHANNEL_REF}"), lowered)
