"""German phrases for escalation intent (see ``assistant.escalation_languages``)."""

from __future__ import annotations

from assistant.escalation_languages.base import Phrases

PHRASES = Phrases(
    code="de",
    people=(
        r"mensch(?:en)?|person(?:en)?|mitarbeiter(?:in|innen|n)?|kundendienst|kundenservice|kundensupport|"
        r"kundenbetreuung|berater(?:in)?|agent(?:en|in)?|ansprechpartner(?:in)?|sachbearbeiter(?:in)?|"
        r"operator|live-?support|jemand(?:em|en)? (?:echtes|echten|reales|(?:vom|aus dem) (?:team|support|"
        r"staff))"
    ),
    roles=(
        r"support(?:-?team|er)?|moderator(?:en|in)?|mods?|admins?|administrator(?:en|in)?|chef(?:in)?|"
        r"vorgesetzte[nrm]?|verantwortliche[nrm]?|team|betreiber(?:in)?|entwickler(?:in)?|owner|"
        r"inhaber(?:in)?|staff|teammitglied"
    ),
    anyone=(r"jemand(?:em|en)?|irgendwem|irgendjemand(?:em|en)?"),
    articles=(
        r"ein|eine|einen|einem|einer|der|die|den|dem|nem|nen|euren|eurem|ihren|ihrem|echte[nmr]?|"
        r"richtige[nmr]?|lebende[nmr]?|menschliche[nmr]?|irgendein(?:en|em)?|mal|bitte|gerade|grad|kurz|"
        r"jetzt|hier|noch"
    ),
    required_articles=(r"ein|eine|einen|einem|einer|der|die|den|dem|nem|nen|irgendein(?:en|em)?"),
    talk=(
        r"(?:sprechen|reden|chatten|schreiben|sprich|rede|quatschen)\s+(?:(?:bitte|kurz|mal|gerne)\s+)?mit"
    ),
    want=(
        r"will|mochte|mochten|wurde gerne?|hatte gerne?|brauche|brauch|brauchen|benotige|(?:verbinde|"
        r"verbinden sie|verbindet|verbind|leite|leiten sie) mich(?: bitte)? (?:mit|zu|an)|hol|holt|"
        r"holen sie|ruf|ruft|schick|schickt|bitte um"
    ),
    please=(r"bitte|dringend"),
    is_there=(r"ist|sind|gibt es|gibts|irgendwer|jemand"),
    available=(
        r"online|da|erreichbar|verfugbar|wach|hier|anwesend|aktiv|(?:der|die|wer) (?:mir )?helfen kann|"
        r"zu sprechen"
    ),
    help_from=(r"(?:hilfe|antwort|unterstutzung) (?:von|vom)"),
    negations=(r"\bnicht|\bkein(?:e|en|em)?|\bnie(?:mals)?|\bohne"),
    advice=(r"\b(?:du|ihr|man)\s+(?:solltest|sollte|solltet|musst|musste|kannst)|\b(?:frag|frage|fragt)"),
    frustration=(
        r"\b(?:der|dieser|du|blode[rn]?|dumme[rn]?|scheiss|scheiß) ?bot (?:ist |bist )?(?:so |echt |"
        r"total |voll |komplett )?(?:nutzlos|dumm|sinnlos|unbrauchbar|schrott|mull|mist|bescheuert|blod)\b",
        r"\b(?:du bist|das ist|bist du) (?:so |echt |total |voll |komplett )?(?:nutzlos|unbrauchbar|"
        r"sinnlos)\b",
        r"\bdu hilfst (?:mir )?(?:nicht|kein bisschen|null|uberhaupt nicht|gar nicht)\b",
        r"\b(?:das|es|du) (?:bringt|bringst) (?:mir )?(?:nichts|gar nichts|nix)\b",
        r"\b(?:das|es|du) (?:hilft|hilfst) (?:mir )?(?:nicht|nichts|nix)\b",
        r"\b(?:zweimal|dreimal|mehrmals|x-mal|zigmal|(?:zwei|drei|vier|\d+|mehrere|"
        r"100) mal) (?:\w+ )?(?:gefragt|gesagt|geschrieben)\b",
        r"\b(?:die gleiche|dieselbe|immer die selbe) antwort\b",
        r"\bdu verstehst (?:mich |es )?(?:nicht|nix|gar nichts|nichts|uberhaupt nichts)\b",
        r"\b(?:dumme[rns]?|blode[rns]?|nutzlose[rns]?|scheiss|scheiß|mist) ?bot\b",
        r"\b(?:das|du|es) beantworte(?:t|st) (?:meine|die) frage nicht\b",
        r"\bdas (?:habe|hab) ich nicht gefragt\b",
    ),
    curiosity=(
        r"\bwer (?:ist|sind|war)\b[^?.!,]*",
        r"\b(?:bist du|sind sie|bin ich (?:hier )?mit|ist das|redest du|rede ich mit|spreche ich mit|"
        r"schreibe ich mit)\s+(?:(?:ein|eine|einem|einer|wirklich|echt|auch|nur|hier)\s+)*(?:mensch|"
        r"menschen|person|bot|roboter|ki|maschine|echter mensch)\b(?:\s+(?:oder|ein|eine|einem|mensch|"
        r"menschen|bot|roboter|ki|person)\b)*",
    ),
    hours=(
        r"\b(?:offnungszeiten|sprechzeiten|geschaftszeiten|supportzeiten|servicezeiten)\b",
        r"\bwann (?:ist|sind|seid|kann|erreiche|antwortet der)\b",
        r"\bwochenende\b",
        r"\bfeiertag(?:en|s)?\b",
        r"\bsonntags?\b",
        r"\bsamstags?\b",
        r"\buhrzeit\b",
        r"\bzeitzone\b",
        r"\brund um die uhr\b",
    ),
    templates=(
        # the verb last: "mit einem Menschen sprechen", "kann ich mit dem Support reden?",
        # "bitte einen Admin holen"
        r"(?:(?:{A})(?:{PEOPLE})|(?:{R})(?:{ROLES}))\s+(?:[\w']+\s+)?(?:holen|rufen|herholen|schicken|bekommen|"
        r"sprechen|erreichen)\b",
        r"\b(?:mit|zu)\s+(?:{A})(?:{PEOPLE}|{ROLES}|{ANYONE})\s+(?:[\w']+\s+){{0,3}}?(?:sprechen|reden|"
        r"quatschen|chatten|schreiben|telefonieren|verbinden|verbunden|durchstellen)\b",
        r"\bkann\s+(?:sich\s+)?(?:mir\s+)?(?:bitte\s+)?(?:{A})(?:{PEOPLE}|{ROLES}|"
        r"{ANYONE})\s+(?:[\w']+\s+){{0,2}}?(?:melden|helfen|kontaktieren|anschreiben|anrufen|zuruckrufen|"
        r"ansehen|anschauen|prufen)\b",
    ),
    function_words=frozenset(
        (
            "ich der die das ist nicht mit und ein eine einem wie wo was kann bitte du mein mir mich "
            "sprechen danke wann gibt es zu auf"
        ).split()
    ),
)
