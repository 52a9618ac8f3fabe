"""What a message does to people, read once: personal information, secrets, threats,
insults, chain letters, art theft, NSFW attachments, emoji walls and language, and
whether an AI provider needs to look at what no check caught.

The checks of :mod:`assistant.content_checks` (advertising, scams, selling, cheating)
with the same contract: each takes an ``Inspected`` message and returns why it breaks
the rule, or None.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from assistant import wordlists
from assistant.content_checks import EMAIL, URL, Inspected, registrable
from assistant.text import normalize

_I = re.IGNORECASE

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
    for email in EMAIL.finditer(m.norm):
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
    text = URL.sub(" ", re.sub(r"<[^>]*>|:[a-z0-9_]+:", " ", m.norm))
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
