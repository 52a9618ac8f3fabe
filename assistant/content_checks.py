"""What a message does, read once: the checks behind the local moderation detectors.

Each check takes an ``Inspected`` message and returns why it breaks the rule, or None.
They look at what a message *does* (offers an account for money, posts a phone number or
a token, threatens someone, asks to be forwarded), never at what it says about the rules:
"how do I report an aimbot?" or "we never ask for your password" is fine. Text inside
quotes is someone else's words and is left out of the checks that judge intent.

Everything is a precompiled regular expression or a set lookup over text normalized once
(``Inspected`` caches it), so a message costs microseconds.
"""

from __future__ import annotations

import re
from functools import cached_property

from assistant.providers.base import ModerationRequest
from assistant.text import normalize

_I = re.IGNORECASE

# --- the message, read once ---------------------------------------------------------------

_QUOTED = re.compile(r"\"[^\"]{3,200}\"|“[^”]{3,200}”|`[^`]{1,500}`|(?<!\w)'[^']{6,200}'(?!\w)")
URL = re.compile(
    r"\b(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:com|net|org|io|gg|co|tv|me|app|dev|xyz|ly|link|shop|store|site|online|live|ru|uk|de|fr|br|"
    r"info|biz|to|cc|page|art|club|fun|top|gift|us|ca|eu|in|id|es|pt))\b(?:/[^\s<>]*)?",
    _I,
)
EMAIL = re.compile(r"\b[\w.+-]+@([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b", _I)


def registrable(host: str) -> str:
    """The last two labels of a host ("docs.lumenlabs.io" → "lumenlabs.io")."""
    return ".".join(host.lower().rstrip(".").split(".")[-2:])


class Inspected:
    """A moderation request with the views of it the checks share, each computed once."""

    def __init__(self, request: ModerationRequest, allowed_domains: frozenset[str] = frozenset()) -> None:
        self.request = request
        self.text = request.text
        self.allowed_domains = allowed_domains

    @cached_property
    def norm(self) -> str:
        return normalize(self.text)

    @cached_property
    def unquoted(self) -> str:
        """The normalized text without quoted spans (someone else's words, or code)."""
        return _QUOTED.sub(" ", self.norm)

    @cached_property
    def attachment_words(self) -> list[str]:
        words: list[str] = []
        for filename, description in self.request.attachments:
            words += re.findall(r"[a-z0-9+]+", normalize(f"{filename} {description}").replace("_", " "))
        return words

    @cached_property
    def hosts(self) -> list[str]:
        """Hosts of the links in the message, without the e-mail addresses' domains."""
        without_emails = EMAIL.sub(" ", self.norm)
        return [match.group(1).lower() for match in URL.finditer(without_emails)]

    @cached_property
    def foreign_hosts(self) -> list[str]:
        allowed = {registrable(domain) for domain in self.allowed_domains}
        return [host for host in self.hosts if registrable(host) not in allowed]


# --- advertising ----------------------------------------------------------------------------

_INVITE = re.compile(r"\b(?:discord(?:app)?\.(?:gg|com/invite|io|me|li)|dsc\.gg|invite\.gg)/[\w-]+", _I)
_PROMO = re.compile(
    r"\b(?:check out|subscribe to|sub to|follow|support|visit|join|go to|come to) (?:me\b|my )"
    r"|\bcommissions? (?:are |is )?(?:now )?open\b|\bopen for commissions\b|\btaking commissions\b"
    r"|\bbuy \$[a-z]{2,8}\b|\b\d{2,}x (?:incoming|gains|soon|potential)\b"
    r"|\b(?:contract|ca|info) in (?:my )?bio\b"
    r"|\bcomms (?:are )?open\b|\bslots? (?:left|open|available)\b|\blink in (?:my )?bio\b"
    r"|\bdm me for (?:prices|rates|commissions|a quote|cheap|details on my)\b"
    r"|\bmy (?:etsy|shop|store|youtube|twitch|channel|stream|insta|instagram|tiktok|patreon|ko-?fi|carrd|"
    r"onlyfans|website|portfolio|socials|server)\b[^.!?]{0,40}\b(?:restock\w*|open|live|sale|discount|"
    r"subscribe|follow|new video|just (?:dropped|launched|uploaded))"
    r"|\bprices in my\b|\b(?:cheap|paid|professional) [a-z ]{0,20}services?\b"
    r"|\bbuy now\b|[?&](?:ref|referral|aff|affiliate)=\w+|\b(?:referral|affiliate|promo) (?:link|code)\b"
    r"|\buse my (?:code|link|referral)\b|\bfirst (?:hour|lesson|session|month) free\b",
    _I,
)
_EVERYONE = re.compile(r"(?<![\w`\"'])@(everyone|here)\b")
_EVERYONE_TALK = re.compile(
    r"\b(?:use|using|used|no|not|don'?t|never|about|the|ping|pinging|of|is|an?|with)\s+$|\b(?:rules?|say)\b"
)


def check_invite(m: Inspected) -> str | None:
    match = _INVITE.search(m.norm)
    if match and registrable(match.group(0).split("/")[0]) not in m.allowed_domains:
        return f"a Discord invite link ({match.group(0)})"
    return None


def check_promotion(m: Inspected) -> str | None:
    match = _PROMO.search(m.norm)
    if match:
        return f"self-promotion (“{match.group(0).strip()}”)"
    if m.foreign_hosts and re.search(r"\b(?:my|our)\b", m.norm) and not m.request.text.rstrip().endswith("?"):
        return f"self-promotion (a link to {m.foreign_hosts[0]})"
    return None


def check_links(m: Inspected) -> str | None:
    return f"a link to {m.foreign_hosts[0]}" if m.foreign_hosts else None


def check_everyone(m: Inspected) -> str | None:
    for match in _EVERYONE.finditer(m.norm):
        before = m.norm[max(0, match.start() - 24) : match.start()]
        if not _EVERYONE_TALK.search(before):
            return f"an @{match.group(1)} ping"
    return None


# --- scams, selling, cheating -------------------------------------------------------------

_SCAM = re.compile(
    r"\bfree (?:discord )?nitro\b|\bnitro (?:giveaway|gift|for free)\b"
    r"|\b(?:send|give|transfer) (?:me )?\d*\.?\d+ ?(?:btc|eth|usdt|sol|bitcoin|ethereum|crypto)\b.{0,60}"
    r"\b(?:back|double|return|x2|2x)\b|\bdoubl(?:e|ing) (?:your )?(?:crypto|btc|eth|money|coins)\b"
    r"|\b(?:dm|send|give|tell|share|what'?s) (?:me )?(?:your|ur) (?:wallet |account |discord |steam )?"
    r"(?:login|password|pass|account details|seed phrase|private keys?|recovery phrase|2fa|"
    r"email and password|token)\b"
    r"|\b\d+x (?:your|ur) (?:money|investment|crypto|coins)\b|\bguaranteed (?:returns?|profits?)\b"
    r"|\binvestment (?:plan|opportunit\w+)\b|\bconnect (?:your|ur) wallet\b|\bairdrop\b.{0,60}\b(?:claim|"
    r"connect|receive|link)\b"
    r"|\b(?:giving away|giveaway|free)\b.{0,40}\b(?:gift ?cards?|steam (?:gift|cards?|keys?)|robux|v-?bucks|"
    r"skins)\b.{0,40}\b(?:dm|click|claim|link|first \d+)\b"
    r"|\bclick (?:here|the link|this link|below) to (?:claim|get|receive|verify)\b"
    r"|\b(?:account|acc) (?:will be|has been|is being|is) (?:suspended|banned|locked|disabled|terminated)\b"
    r".{0,60}\bverify\b",
    _I,
)
_LOOKALIKE = re.compile(
    r"d[il1]s+c[o0]r[cl]?d|disc[o0]rd-?(?:gift|nitro|app\.|promo)|dicsord|discorcl|dlscord|discrod|"
    r"steamcommun[il1]ty|stearn|steam-?(?:gift|trade|community\.)|nitro-?gift|free-?nitro|gift-?nitro|"
    r"-verify\b|verify-|paypa1|roblox-?(?:gift|free)|-claim\b|claim-|airdrop|wallet-?connect"
)
_OFFICIAL_HOSTS = frozenset(
    {"discord.com", "discord.gg", "discordapp.com", "steamcommunity.com", "steampowered.com", "discord.me"}
)
_SALE_VERB = re.compile(
    r"\b(?:wts|wtb|wtt|selling|sell(?:ing)? (?:my|an?|some|this)|buying|trading|for sale|"
    r"(?:anyone|who) (?:want|wants|wanna) (?:to )?(?:buy|trade)|(?:will|i'll) (?:buy|pay)|"
    r"trade (?:their|your|ur))\b"
)
_SALE_OBJECT = re.compile(
    r"\b(?:acc|accs|account|accounts|alt|alts|skins?|items?|coins|gold|gems|currency|boost\w*|carr(?:y|ies)|"
    r"keys?|codes?|tickets?|gift ?cards?|stuff|loot)\b"
)
_SALE_TERMS = re.compile(
    r"[$€£]\s?\d|\d+\s?(?:\$|€|£|usd|eur|bucks|dollars|k\b)|\b(?:paypal|venmo|cash ?app|crypto|cheap|dm|dms|"
    r"hmu|pm me|offers?|for my|price|per)\b"
)
_SERVICE = re.compile(r"\b(?:boost(?:ing)?|carry|coaching|rank(?:ing)? up) service\b")
_CHEAT_TOOL = re.compile(
    r"\b(?:aim ?bot|wall ?hacks?|esp hack|spin ?bot|trigger ?bot|mod menu|cheat (?:engine|client|menu)s?|"
    r"hack(?:ed)? client|injector|hwid spoofer|spoofer|no[- ]recoil (?:macro|script)|"
    r"undetected (?:cheats?|hacks?))"
)
_CHEAT_OFFER = re.compile(
    r"\b(?:sell\w*|download\w*|get|got|have|has|share|anyone (?:have|got|selling)|where (?:to|can i|do i) "
    r"(?:get|find|download|buy)|dm (?:me )?for|link)\b\W+(?:\w+\W+){0,4}?"
    r"(?:hacks?|cheats?|exploits?|scripts?)\b"
    r"|\bexploits?\b.{0,30}\b(?:lets you|here'?s how|dupe|works|download|dm)"
)
_REPORTING = re.compile(
    r"\b(?:report\w*|anti-?cheat|detected by|caught|got banned|against|ban(?:ned)? for)\b"
)
_EXAM = re.compile(
    r"\b(?:answers?|answer key)\b.{0,40}\b(?:exam|test|quiz|midterm|final|sat|act|assessment)s?\b"
    r"|\b(?:exam|test|quiz|midterm|final)s?\b.{0,30}\banswers?\b|\banswer key\b"
)
_EXAM_INTENT = re.compile(r"\b(?:leak\w*|have|has|got|share|send|pay|paid|dm|link|sell\w*|need|buy)\b")
_EXAM_LEGIT = re.compile(r"\b(?:textbook|page \d+|for practice|self-check|in the book)\b")
_HOMEWORK = re.compile(
    r"\b(?:write|do|finish) (?:your|ur|ya) (?:essays?|homework|assignments?|papers?|coursework)\b"
    r"|\bhomework (?:help )?services?\b|\bpaid (?:homework|essays?)\b|\bessays? for \$"
)


_ADVICE = re.compile(r"\b(?:never|don'?t|do not|dont|won'?t|will not|nobody will|no one will)\W+(?:\w+\W+)?$")


def check_scam(m: Inspected) -> str | None:
    for match in _SCAM.finditer(m.norm):
        if not _ADVICE.search(m.norm[max(0, match.start() - 30) : match.start()]):
            return f"a scam (“{match.group(0)[:60]}”)"
    for host in m.hosts:
        if host not in _OFFICIAL_HOSTS and _LOOKALIKE.search(host):
            return f"a phishing link ({host})"
    return None


def check_selling(m: Inspected) -> str | None:
    text = m.unquoted
    service = _SERVICE.search(text)
    if service:
        return f"selling a service (“{service.group(0)}”)"
    verb = _SALE_VERB.search(text)
    if verb and _SALE_OBJECT.search(text) and _SALE_TERMS.search(text):
        return f"buying, selling or trading (“{verb.group(0)}”)"
    return None


def check_cheating(m: Inspected) -> str | None:
    text = m.unquoted
    if _REPORTING.search(text):
        return None
    tool = _CHEAT_TOOL.search(text) or _CHEAT_OFFER.search(text)
    if tool:
        return f"cheats or hacks (“{tool.group(0)[:40]}”)"
    if _EXAM.search(text) and _EXAM_INTENT.search(text) and not _EXAM_LEGIT.search(text):
        return "sharing or asking for exam answers"
    homework = _HOMEWORK.search(text)
    if homework and _SALE_TERMS.search(text):
        return "a paid homework service"
    return None


# --- floods, repeats, mentions, capitals ---------------------------------------------------

FLOOD_MESSAGES = 5  # this many recent messages plus this one is a flood
REPEAT_TIMES = 2  # the same text this many times before is a repeat
MASS_MENTIONS = 5
HEAVY_MENTIONS = 10
CAPS_MIN_LETTERS = 20
CAPS_SHARE = 0.7
LINK_WALL = 4

_REPEATED_CHAR = re.compile(r"(\S)\1{19,}")
_USER_MENTION = re.compile(r"<@[!&]?\d+>")
_NON_PROSE = re.compile(r"<[^>]*>|https?://\S+|:[a-z0-9_]+:", re.IGNORECASE)


def check_flood(m: Inspected) -> str | None:
    request = m.request
    if len(request.recent_texts) >= FLOOD_MESSAGES:
        return f"{len(request.recent_texts) + 1} messages in quick succession"
    if _REPEATED_CHAR.search(request.text):
        return "a run of one repeated character"
    if len(m.hosts) >= LINK_WALL:
        return f"{len(m.hosts)} links in one message"
    tokens = m.norm.split()
    if len(tokens) >= 10:
        top = max(tokens.count(token) for token in set(tokens))
        if top / len(tokens) >= 0.7:
            return "the same word over and over"
    return None


def check_repeat(m: Inspected) -> str | None:
    text = " ".join(m.norm.split())
    if len(text) < 3:
        return None
    times = sum(1 for earlier in m.request.recent_texts if " ".join(normalize(earlier).split()) == text)
    if times >= REPEAT_TIMES:
        return f"the same message sent {times + 1} times"
    return None


def mention_count(m: Inspected) -> int:
    return max(m.request.mention_count, len(_USER_MENTION.findall(m.text)))


def check_mass_mentions(m: Inspected) -> str | None:
    count = mention_count(m)
    return f"{count} mentions in one message" if count >= MASS_MENTIONS else None


def check_heavy_mentions(m: Inspected) -> str | None:
    count = mention_count(m)
    return f"{count} mentions in one message" if count >= HEAVY_MENTIONS else None


def check_caps(m: Inspected) -> str | None:
    letters = [ch for ch in _NON_PROSE.sub("", m.text) if ch.isalpha()]
    if len(letters) < CAPS_MIN_LETTERS:
        return None
    share = sum(1 for ch in letters if ch.isupper()) / len(letters)
    return f"{round(share * 100)}% capital letters" if share > CAPS_SHARE else None
