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

import ipaddress
import re
import unicodedata
from functools import cached_property

from assistant import wordlists
from assistant.providers.base import ModerationRequest
from assistant.text import normalize

_I = re.IGNORECASE

# --- the message, read once ---------------------------------------------------------------

_QUOTED = re.compile(r"\"[^\"]{3,200}\"|“[^”]{3,200}”|`[^`]{1,500}`|(?<!\w)'[^']{6,200}'(?!\w)")
_URL = re.compile(
    r"\b(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
    r"(?:com|net|org|io|gg|co|tv|me|app|dev|xyz|ly|link|shop|store|site|online|live|ru|uk|de|fr|br|"
    r"info|biz|to|cc|page|art|club|fun|top|gift|us|ca|eu|in|id|es|pt))\b(?:/[^\s<>]*)?",
    _I,
)
_EMAIL = re.compile(r"\b[\w.+-]+@([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b", _I)


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
        without_emails = _EMAIL.sub(" ", self.norm)
        return [match.group(1).lower() for match in _URL.finditer(without_emails)]

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


# --- personal information and secrets ---------------------------------------------------

_PHONE_CANDIDATE = re.compile(r"(?<![\w#.$/:-])(\+?\(?\d[\d\s().-]{7,18}\d)(?![\w.:/-]|\.\d)")
_PHONE_CUE = re.compile(
    r"\b(?:phone|number|call|text|txt|whatsapp|tel|mobile|cell|reach me|ring|sms|signal|telegram)\b"
)
_DATE_OR_TIME = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|\d+\.\d+\.\d+")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
_VERSIONISH = re.compile(r"\b(?:version|v\d|upgrad\w*|release|build|from \d)\b")
_ADDRESS = re.compile(
    r"\b\d{1,5}[a-z]?,? (?:[a-z]+ ){1,3}(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|"
    r"court|ct|way|place|pl|terrace|close|crescent|strasse|straße|calle|rua|rue|jalan|jl)\b"
    r"|\b(?:calle|rua|rue|jalan|jl\.?) [a-z]+ \d{1,5}\b|\b(?:lives|live|living|staying) at \d"
    r"|\b(?:home )?address is \d"
)
_REAL_NAME = re.compile(r"\b(?:real|full|legal) name is [A-Z][a-z]+ [A-Z][a-z]+")
_SCHOOL = re.compile(
    r"\b(?:goes to|attends|studies at|is at) [A-Z][\w.]*(?: [A-Z][\w.]*)* "
    r"(?:High|School|College|University|Academy|Elementary|Middle|Uni)\b"
)


def _phone(m: Inspected) -> str | None:
    for match in _PHONE_CANDIDATE.finditer(m.text):
        number = match.group(1)
        if _DATE_OR_TIME.search(number):
            continue
        digits = sum(ch.isdigit() for ch in number)
        if not 9 <= digits <= 15:
            continue
        separated = re.fullmatch(r"\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}", number.strip())
        if number.startswith("+") or separated or _PHONE_CUE.search(m.norm):
            return "a phone number"
    return None


def _ip(m: Inspected) -> str | None:
    for match in _IPV4.finditer(m.norm):
        try:
            address = ipaddress.IPv4Address(match.group(0))
        except ValueError:
            continue
        if address.is_private or address.is_loopback or address.is_unspecified or address.is_reserved:
            continue
        if _VERSIONISH.search(m.norm):
            continue
        return "an IP address"
    return None


def check_personal_info(m: Inspected) -> str | None:
    for email in _EMAIL.finditer(m.norm):
        domain = email.group(1)
        if registrable(domain) not in {registrable(d) for d in m.allowed_domains} and not re.match(
            r"(?:no-?reply|support|help|info|contact|sales|billing)@", email.group(0)
        ):
            return "an e-mail address"
    found = _phone(m) or _ip(m)
    if found:
        return found
    if _ADDRESS.search(m.norm):
        return "a home address"
    if _REAL_NAME.search(m.text) or _SCHOOL.search(m.text):
        return "someone's real name or school"
    return None


_SECRET_PATTERNS = re.compile(
    r"\b[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}\b"  # Discord bot token
    r"|\bsk[-_](?:live[-_]|test[-_]|proj[-_]|ant[-_])?[A-Za-z0-9_-]{16,}"  # OpenAI, Stripe, Anthropic
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}"  # GitHub
    r"|\bxox[baprs]-[A-Za-z0-9-]{10,}"  # Slack
    r"|\bAIza[0-9A-Za-z_-]{35}\b"  # Google
    r"|\beyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}"  # JWT
    r"|-----BEGIN (?:RSA |EC |OPENSSH |DSA )?PRIVATE KEY-----"
)
_SECRET_ASSIGNED = re.compile(
    r"\b(?:api[_-]?key|apikey|secret(?:[_-]key)?|token|password|passwd|pwd|access[_-]?key|client[_-]secret)"
    r"\s*[:=]\s*['\"]?([^\s'\"]{8,})",
    _I,
)
_PASSWORD_SAID = re.compile(
    r"\b(?:password|pw|passcode|pin)(?: for [\w' -]{1,30}?)? (?:is|=|:)\s+['\"]?([^\s'\"]{4,})", _I
)
_NOT_A_VALUE = re.compile(
    r"^(?:your|my|the|a|an|not|wrong|incorrect|correct|fine|required|too|case|reset|changed|expired|"
    r"still|different|same|here|x{3,}|\*+|<.*|\$\{?.*|example\w*|changeme|placeholder|redacted|hidden)",
    _I,
)


_SEED_PHRASE = re.compile(
    r"\b(?:seed|recovery|mnemonic) (?:phrase|words)(?: is|:|=)\s+(?:[a-z]+[\s,]+){11,}", _I
)


def check_secrets(m: Inspected) -> str | None:
    if _SECRET_PATTERNS.search(m.text):
        return "an API key or token"
    if _SEED_PHRASE.search(m.text):
        return "a wallet's seed phrase"
    for pattern in (_SECRET_ASSIGNED, _PASSWORD_SAID):
        for match in pattern.finditer(m.text):
            value = match.group(1)
            if _NOT_A_VALUE.match(value) or ("YOUR" in value.upper() and "_" in value):
                continue
            if re.search(r"\d", value) or pattern is _SECRET_ASSIGNED:
                return "a password or secret"
    return None


# --- threats, insults, chain letters, art theft ----------------------------------------

_THREAT = re.compile(
    r"\bkys\b|\bk y s\b|\bkill (?:yo)?ur ?self\b|\bkill urself\b|\bend (?:yo)?ur ?self\b|\bneck yourself\b"
    r"|\bgo (?:and )?die\b|\bhope (?:you|u) (?:die|get (?:hit|cancer|hurt|killed|run over)|burn|rot|suffer)\b"
    r"|\b(?:i'?ll|i will|i'?m (?:going to|gonna)|gonna|im gonna|we'?ll|we will) (?:\w+ )?(?:kill|hurt|beat|"
    r"stab|shoot|murder|find|punch|destroy|end) (?:you|u|ya|your|ur)\b"
    r"|\bi know where (?:you|u) live\b|\bwatch your back\b|\b(?:you'?re|you are|ur) (?:so )?dead\b"
    r"|\bsee what happens\b.{0,20}$"
)
_INSULT_WORDS = (
    r"(?:idiot|moron|imbecile|stupid|dumb|loser|pathetic|worthless|useless|garbage|trash|clown|"
    r"brain-?dead|failure|disgrace|waste of (?:space|air)|piece of (?:garbage|trash|crap|junk)|ugly|"
    r"subhuman|scum|freak|degenerate|joke)"
)
_INSULT = re.compile(
    rf"\b(?:you|u|ya)(?:'re| are| r|re)? (?:[\w-]+ ){{0,3}}?{_INSULT_WORDS}\b"
    r"|\b(?:everyone|everybody|we all) (?:here )?(?:hates?|can'?t stand) (?:you|u)\b"
    r"|\bgo back to (?:your|ur) (?:own )?country\b"
    rf"|\b(?:your|ur) (?:art|work|code|drawing|face|mom|opinion)s? (?:is|are) (?:\w+ )?{_INSULT_WORDS}\b"
    rf"|\bso are (?:you|u)\b|\b(?:is|are) (?:an? |such an? )?(?:[\w-]+ )?(?:idiot|moron|loser|clown)s?\b"
    r"|\b(?:nobody|no one|no1) (?:likes|wants|cares about) (?:you|u|your)\b|\bjust leave the server\b"
    r"|\bquit (?:drawing|playing|the game|art)\b|\buninstall and never\b"
)
_BANTER = re.compile(r"\b(?:jk|just kidding|love (?:you|ya|u)|<3|:p|haha|hehe)\b|\blmao\b|\blol\b")
_SELF = re.compile(r"\b(?:i'?m|i am|mine|my)\b")
_CHAIN = re.compile(
    r"\b(?:send|forward|share|copy (?:and|&) paste|copy|paste|repost|post) (?:this|it)(?: message)?"
    r"(?: (?:and send it|to))? (?:to )?(?:\w+ ){0,2}?"
    r"(?:\d+|ten|five|three|\w+ of your|every|all (?:of )?your|"
    r"everyone|everybody)\b"
    r"|\bor (?:you'?ll|you will|u will) (?:have|get|die|fail|lose|be cursed)\b.{0,40}$"
    r"|\bif you (?:don'?t|do not) (?:send|forward|share|repost)\b"
)
_ART_THEFT = re.compile(
    r"\bnot (?:mine|my (?:art|work|drawing|piece|own))\b|\bisn'?t mine\b"
    r"|\bfound (?:this|it) on (?:pinterest|google|twitter|x|instagram|insta|tumblr|tiktok|reddit|deviantart|"
    r"artstation|the internet|the web|facebook)\b|\b(?:i )?traced (?:this|it|over)\b"
    r"|\brepost(?:ed|ing)? (?:this |it )?from\b|\bstole (?:this|it)\b|\bcredits? to (?:unknown|idk|whoever)\b"
    r"|\b(?:posting|passing) it (?:off )?as (?:mine|my own)\b"
)
_CREDITED = re.compile(
    r"\bcredit(?:ed|s)? (?:to|in|:)\s*@?\w|\bart by @|\bmy own\b|\bwith (?:their )?permission\b"
)


def check_threats(m: Inspected) -> str | None:
    match = _THREAT.search(m.unquoted)
    return f"a threat (“{match.group(0).strip()}”)" if match else None


def check_insults(m: Inspected) -> str | None:
    text = m.unquoted
    match = _INSULT.search(text)
    if not match or _BANTER.search(text):
        return None
    return f"an insult aimed at someone (“{match.group(0).strip()}”)"


def check_chain_letter(m: Inspected) -> str | None:
    match = _CHAIN.search(m.unquoted)
    return "a chain message" if match else None


def check_art_theft(m: Inspected) -> str | None:
    text = m.unquoted
    match = _ART_THEFT.search(text)
    if match and not _CREDITED.search(text):
        return f"someone else's art without credit (“{match.group(0)}”)"
    return None


# --- NSFW, emoji walls, language ----------------------------------------------------------

_NSFW_FILE_WORDS = frozenset(
    {"nsfw", "nude", "nudes", "naked", "porn", "xxx", "lewd", "hentai", "explicit", "18+", "gore", "nsfl"}
)


def check_nsfw_attachment(m: Inspected) -> str | None:
    for word in m.attachment_words:
        if word in _NSFW_FILE_WORDS or word in wordlists.NSFW:
            return f"an NSFW attachment ({word})"
    return None


_EMOJI = re.compile(r"<a?:\w+:\d+>|:[a-z0-9_]{2,}:|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")
EMOJI_WALL = 12


def check_emoji_wall(m: Inspected) -> str | None:
    found = _EMOJI.findall(m.text)
    if len(found) < EMOJI_WALL:
        return None
    rest = _EMOJI.sub("", m.text)
    letters = sum(1 for ch in rest if ch.isalnum())
    return f"a wall of {len(found)} emoji" if letters <= len(found) else None


_STOPWORDS: dict[str, frozenset[str]] = {
    "es": frozenset(
        "el la los las un una unos que de del y en es por para con no se lo le mi tu su pero como mas "
        "esta este esto estoy eres alguien quiere quien donde cuando hoy noche necesito tengo hay muy "
        "bien gracias hola porque yo nosotros vamos jugar equipo ayuda puedo".split()
    ),
    "pt": frozenset(
        "o a os as um uma que de do da dos das e em no na nao é eu voce você quem quer comigo hoje noite "
        "estou sem com para por mais muito obrigado tudo bem ajuda jogar time alguem alguém tenho".split()
    ),
    "fr": frozenset(
        "le la les un une des du de et est qui que quoi c'est je tu il elle nous vous votre mon ton pas "
        "avec pour sur dans au aux ce cette ou mais tres très bonjour merci salut joueur avis".split()
    ),
    "de": frozenset(
        "der die das ein eine einen und ist nicht ich du er sie wir ihr wer was wie hat habe heute abend "
        "zu mit auf für fur von dem den des noch auch lust spielen runde bitte danke hallo kann".split()
    ),
    "id": frozenset(
        "yang dan di ke dari ini itu ada tidak bisa saya aku kamu kita mau main siapa apa sudah belum "
        "dengan untuk juga nanti malam tolong terima kasih".split()
    ),
    "it": frozenset(
        "il lo gli una che di e è non per con sono sei chi vuole giocare stasera ciao grazie anche".split()
    ),
}
_ENGLISH = frozenset(
    "the a an and is are was i you he she we they it to of in on for with that this what who how why "
    "my your me do does not no yes can will just so but have has be at or if up out get got lol".split()
)
_LATIN_WORD = re.compile(r"[a-zà-ÿ']+")


def check_not_english(m: Inspected) -> str | None:
    text = _URL.sub(" ", re.sub(r"<[^>]*>|:[a-z0-9_]+:", " ", m.norm))
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= 6:
        latin = sum(1 for ch in letters if "LATIN" in unicodedata.name(ch, ""))
        if latin / len(letters) < 0.5:
            return "a message not in English"
    words = _LATIN_WORD.findall(m.text.lower())
    if len(words) < 4:
        return None
    english = sum(1 for word in words if word in _ENGLISH)
    for language, stopwords in _STOPWORDS.items():
        hits = sum(1 for word in words if word in stopwords or normalize(word) in stopwords)
        if hits >= 3 and hits > english * 2 and hits / len(words) >= 0.3:
            return f"a message not in English ({language})"
    return None


def mentions_self(text: str) -> bool:
    return bool(_SELF.search(text))


# --- does an AI provider need to look? ------------------------------------------------------

_RISKY = re.compile(
    r"\b(?:dm me|dm for|pm me|hmu|free|sell\w*|buy\w*|wts|wtb|trad(?:e|ing)|price\w*|paypal|cash|money|"
    r"pay|paid|usd|bucks|crypto|btc|eth|promo|discount|giveaway|nitro|hack\w*|cheat\w*|exploit\w*|"
    r"password|passwd|token|api|address|phone|kill|die|dead|hate|hurt|stupid|idiot|dumb|ugly|shut up|"
    r"loser|moron|trash|garbage|pathetic|worthless|nude\w*|sex\w*|naked|horny|18\+|nsfw|gore|porn\w*|"
    r"stfu|kys|retard\w*|scam\w*|generated|midjourney|repost\w*|traced|chain|send this|forward this|"
    r"subscribe|check out my|follow me|my (?:channel|stream|shop|store|server)|"
    r"ignore (?:your|the|all|previous))\b"
    r"|[$€£]\d|\d[$€£]|@everyone|@here"
)


def needs_judgement(m: Inspected) -> bool:
    """Whether a message the local checks found nothing in still needs an AI provider's
    judgement: anything with an attachment or several mentions, not in English, or with
    words near a rule's subject (money, trading, cheats, insults, threats, sexual words,
    secrets, promotion, chain messages, instructions to the bot). Ordinary chat ("gg",
    "thanks, that fixed it", a docs link) is cleared with confidence and costs no call."""
    if m.request.attachments or m.request.mention_count >= 3:
        return True
    if not m.norm.strip():
        return False
    if check_not_english(m):
        return True
    return bool(_RISKY.search(m.norm))
